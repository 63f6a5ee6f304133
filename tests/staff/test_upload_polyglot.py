"""HTML/PDF polyglots: a file that a browser would render as HTML and a PDF reader would
open as a PDF is refused by the staff upload and by `flask issues ingest`, with a clear
French message, and nothing is kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from magazine_app.core.extensions import db
from magazine_app.models import Issue
from tests.conftest import csrf_token
from tests.staff.conftest import stored_files, upload_data

URL = "/redaction/numeros/nouveau"


def _post(client, data: bytes):
    token = csrf_token(client, URL)
    return client.post(
        URL,
        data=upload_data(data),
        headers={"Accept": "application/json", "X-CSRFToken": token},
        content_type="multipart/form-data",
    )


def _polyglots(pdf: bytes) -> dict[str, bytes]:
    return {
        # `%PDF-` within the first KiB is enough for PDF readers: an HTML page first.
        "html-first": b"<html><body><script>alert(document.cookie)</script></body></html>\n" + pdf,
        "doctype-first": b"<!DOCTYPE html><p>x</p>\n" + pdf,
        # Starts like a PDF, but an HTML or SVG document sits in its first KiB.
        "script-after-magic": pdf[:9] + b"<script>alert(1)</script>\n" + pdf[9:],
        "svg-after-magic": pdf[:9] + b'<svg onload="alert(1)"/>\n' + pdf[9:],
        # Not even an HTML marker: junk before the magic is no longer tolerated.
        "junk-first": b"GIF89a;\n" + pdf,
    }


@pytest.mark.parametrize(
    "kind", ["html-first", "doctype-first", "script-after-magic", "svg-after-magic", "junk-first"]
)
def test_staff_upload_refuses_polyglots(app, staff_client, small_pdf, kind) -> None:
    data = _polyglots(small_pdf.read_bytes())[kind]
    response = _post(staff_client, data)
    assert response.status_code == 415, response.get_data(as_text=True)
    error = response.get_json()["error"]
    if kind in ("html-first", "doctype-first", "junk-first"):
        assert "n'est pas un PDF" in error and "ne commence pas comme un PDF" in error
    else:
        assert "code HTML" in error and "refusé par sécurité" in error
    assert "Rien n'a été enregistré" in error
    assert db.session.scalar(select(func.count(Issue.id))) == 0
    assert stored_files(Path(app.config["STORAGE_ROOT"])) == []


# The ingestion job runs inside the request (HUEY_IMMEDIATE) and commits on its own: the
# request's later rollback of its savepoint would undo it in a rolled-back test.
@pytest.mark.commits
def test_staff_upload_still_accepts_a_real_pdf(staff_client, small_pdf) -> None:
    assert _post(staff_client, small_pdf.read_bytes()).status_code == 201


def test_cli_ingest_refuses_a_polyglot(app, runner, small_pdf, tmp_path) -> None:
    polyglot = tmp_path / "polyglot.pdf"
    polyglot.write_bytes(_polyglots(small_pdf.read_bytes())["script-after-magic"])
    result = runner.invoke(
        args=["issues", "ingest", str(polyglot), "--publication", "challenge", "--number", "7"]
    )
    assert result.exit_code == 1
    assert "code HTML" in result.output
    assert db.session.scalar(select(func.count(Issue.id))) == 0
    assert not (Path(app.config["STORAGE_ROOT"]) / "originals").exists()


def test_ingestion_refuses_a_polyglot_already_stored(app, small_pdf, tmp_path) -> None:
    """A polyglot stored before this check (or put in place by hand) fails ingestion."""
    from magazine_app.ingest import IngestError, run_ingest

    polyglot = tmp_path / "old.pdf"
    polyglot.write_bytes(_polyglots(small_pdf.read_bytes())["svg-after-magic"])
    with pytest.raises(IngestError) as caught:
        run_ingest(polyglot, tmp_path / "out")
    assert caught.value.code == "html"
