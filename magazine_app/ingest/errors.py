"""Errors raised by the ingestion pipeline.

Every failure carries a French sentence a journalist can act on (shown in the staff UI) and a
short machine code (stored with the issue, used by tests and metrics).
"""

from __future__ import annotations


class IngestError(Exception):
    """An ingestion failure: `message` is French and user-facing, `code` is for machines."""

    def __init__(
        self, code: str, message: str, *, page: int | None = None, detail: str = ""
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.page = page
        self.detail = detail

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"IngestError(code={self.code!r}, message={self.message!r}, page={self.page!r})"


def not_pdf() -> IngestError:
    return IngestError("not_pdf", "Ce fichier n'est pas un PDF.")


def unreadable(detail: str = "") -> IngestError:
    return IngestError(
        "unreadable",
        "Le PDF est endommagé et n'a pas pu être ouvert, même après réparation.",
        detail=detail,
    )


def encrypted() -> IngestError:
    return IngestError(
        "encrypted", "Ce PDF est protégé par un mot de passe : exportez-le sans protection."
    )


def no_pages() -> IngestError:
    return IngestError("no_pages", "Le PDF ne contient aucune page lisible, même après réparation.")


def too_many_pages(count: int, limit: int) -> IngestError:
    return IngestError("too_many_pages", f"Le PDF compte {count} pages ; la limite est de {limit}.")


def page_timeout(page: int, seconds: float) -> IngestError:
    return IngestError(
        "timeout",
        f"La page {page} a dépassé le temps de traitement ({seconds:g} s).",
        page=page,
    )


def open_timeout(seconds: float) -> IngestError:
    return IngestError(
        "timeout", f"L'ouverture du PDF a dépassé le temps de traitement ({seconds:g} s)."
    )


def total_timeout(seconds: float) -> IngestError:
    return IngestError(
        "timeout", f"Le traitement du PDF a dépassé la durée maximale ({seconds:g} s)."
    )


def crashed(page: int | None, detail: str = "") -> IngestError:
    where = f"sur la page {page}" if page else "pendant l'ouverture du fichier"
    return IngestError(
        "crashed",
        f"Le moteur PDF s'est arrêté brutalement {where} (mémoire insuffisante ?).",
        page=page,
        detail=detail,
    )


def memory(page: int | None, limit_mb: int, detail: str = "") -> IngestError:
    where = f"La page {page}" if page else "L'ouverture du PDF"
    return IngestError(
        "memory",
        f"{where} demande plus de mémoire que la limite autorisée ({limit_mb} Mo).",
        page=page,
        detail=detail,
    )


def page_failed(page: int, detail: str = "") -> IngestError:
    return IngestError(
        "page_failed",
        f"La page {page} n'a pas pu être convertie en image (contenu endommagé ?).",
        page=page,
        detail=detail,
    )
