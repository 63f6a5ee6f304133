"""Receiving an uploaded PDF without holding it in memory.

The multipart body is parsed incrementally (Werkzeug's parser) with our own stream
factory: the file part is written chunk by chunk to a temporary file under the storage
root (same filesystem as originals/, so keeping it is a rename), hashed on the way, and
refused as soon as it is known to be too large or not a PDF: it must start with `%PDF-`
and its first KiB must hold no HTML marker (ingest/header.py: stricter than PDF readers,
which accept `%PDF-` anywhere in the first KiB, so no HTML/PDF polyglot is ever stored; the
same test runs again in `register_issue` and in ingestion). A refused or abandoned upload
leaves nothing behind: the caller always calls `UploadedFile.discard()` in `finally`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.wsgi import get_content_length

from magazine_app.catalog.register import format_size
from magazine_app.ingest.header import HEADER_SCAN, HTML, HTML_MESSAGE, MAGIC, header_problem

FORM_SLACK = 64 * 1024  # room for the text fields and multipart headers
# Werkzeug's limit on text fields held in memory; it also bounds the parser's buffer, which
# holds one read chunk (64 KiB) plus a partial boundary, so it must exceed that.
FORM_MEMORY = 512 * 1024


class UploadRefused(Exception):
    """An upload we refuse, with the sentence staff will read, an HTTP status and, for the
    form's fields, their own messages (shown beside each field)."""

    def __init__(
        self, message: str, status: int = 400, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.fields = fields or {}


def too_large(limit: int) -> UploadRefused:
    return UploadRefused(
        f"Le fichier dépasse la taille maximale autorisée ({format_size(limit)}). "
        "Réduisez le PDF (export « qualité impression » ou « web ») puis réessayez.",
        413,
    )


def not_a_pdf() -> UploadRefused:
    return UploadRefused(
        "Ce fichier n'est pas un PDF (son contenu ne commence pas comme un PDF), "
        "même si son nom se termine par .pdf. Rien n'a été enregistré.",
        415,
    )


def html_inside() -> UploadRefused:
    return UploadRefused(f"{HTML_MESSAGE} Rien n'a été enregistré.", 415)


def _check_head(head: bytes) -> None:
    problem = header_problem(head)
    if problem == HTML:
        raise html_inside()
    if problem is not None:
        raise not_a_pdf()


class UploadedFile:
    """A write-only sink for one file part: temp file + running SHA-256 + size check."""

    def __init__(self, directory: Path, limit: int, filename: str | None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
        self.path = Path(name)
        self._fh: IO[bytes] = os.fdopen(fd, "w+b")
        self.limit = limit
        self.filename = filename or ""
        self.size = 0
        self._head = b""
        self._sha = hashlib.sha256()

    # The parser's container protocol: write, then seek(0) when the part ends.
    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise too_large(self.limit)
        if len(self._head) < HEADER_SCAN:
            self._head += data[: HEADER_SCAN - len(self._head)]
            if len(self._head) >= len(MAGIC) and not self._head.startswith(MAGIC):
                _check_head(self._head)  # refused from the first bytes
            if len(self._head) >= HEADER_SCAN:
                _check_head(self._head)
        self._sha.update(data)
        return self._fh.write(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        return self._fh.read(size)

    def close(self) -> None:
        self._fh.close()

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def finish(self) -> None:
        """Called once the body is complete: the final checks, then close the file."""
        self._fh.flush()
        self._fh.close()
        if self.size == 0:
            raise UploadRefused("Choisissez le fichier PDF du numéro.", 400)
        _check_head(self._head)

    def discard(self) -> None:
        """Remove the temporary file unless it was moved away (kept)."""
        if not self._fh.closed:
            self._fh.close()
        self.path.unlink(missing_ok=True)


@dataclass
class ReceivedUpload:
    form: MultiDict[str, str]
    file: UploadedFile | None


def receive(environ: dict[str, Any], directory: Path, limit: int) -> ReceivedUpload:
    """Parse a multipart upload from the WSGI environ. Raises UploadRefused (nothing kept).

    A declared Content-Length over the limit is refused before a byte is read."""
    declared = get_content_length(environ)
    if declared is not None and declared > limit + FORM_SLACK:
        raise too_large(limit)
    files: list[UploadedFile] = []

    def factory(
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None,
        content_length: int | None = None,
    ) -> Any:
        if files:
            raise UploadRefused("Envoyez un seul fichier PDF à la fois.", 400)
        files.append(UploadedFile(directory, limit, filename))
        return files[-1]

    parser = FormDataParser(
        stream_factory=factory,
        max_content_length=limit + FORM_SLACK,
        max_form_memory_size=FORM_MEMORY,
        max_form_parts=50,
        silent=False,
    )
    try:
        _, form, _ = parser.parse_from_environ(environ)
        upload = files[0] if files else None
        if upload is not None:
            upload.finish()
    except RequestEntityTooLarge as exc:
        _discard(files)
        raise too_large(limit) from exc
    except ValueError as exc:
        _discard(files)
        raise UploadRefused("Envoi incomplet ou mal formé : réessayez.", 400) from exc
    except BaseException:
        _discard(files)
        raise
    return ReceivedUpload(form, upload)


def _discard(files: list[UploadedFile]) -> None:
    for f in files:
        f.discard()
