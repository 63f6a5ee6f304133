"""Uploading an issue over HTTP: streamed to disk, refused by content and size before
anything is kept, duplicates caught, then processed by the job (immediate in tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from magazine_app.core.extensions import db
from magazine_app.models import AuditEvent, Issue, IssueStatus
from magazine_app.staff import streaming
from tests.conftest import csrf_token, shared_path
from tests.staff.conftest import stored_files, upload_data

URL = "/redaction/numeros/nouveau"


def post_upload(client, pdf, token=None, header=True, **fields):
    token = token or csrf_token(client, URL)
    data = upload_data(pdf, **fields)
    headers = {"Accept": "application/json"}
    if header:
        headers["X-CSRFToken"] = token
    else:
        data["csrf_token"] = token
    return client.post(URL, data=data, headers=headers, content_type="multipart/form-data")


def storage_root(app) -> Path:
    return Path(app.config["STORAGE_ROOT"])


def issue_count() -> int:
    return db.session.scalar(select(func.count(Issue.id))) or 0


# The ingestion job runs inside the request (HUEY_IMMEDIATE) and commits on its own: the
# request's later rollback of its savepoint would undo it in a rolled-back test.
@pytest.mark.commits
def test_upload_registers_processes_and_records(app, staff_client, small_pdf) -> None:
    response = post_upload(staff_client, small_pdf)
    assert response.status_code == 201, response.get_data(as_text=True)
    data = response.get_json()
    issue = db.session.get(Issue, data["issue_id"])
    assert data["url"] == f"/redaction/numeros/{issue.id}"
    assert issue.status is IssueStatus.READY  # HUEY_IMMEDIATE: processed in the request
    assert issue.page_count == 4 and issue.number == 228
    assert issue.period_label == "Du 11 au 17 février 2022"
    assert issue.cover_lines[0] == {"kicker": "ACTUALITÉ", "title": "Le Maroc passe à l'Euro 6"}
    assert issue.source_filename == "numero-228.pdf"
    assert issue.publish_at is None  # never visible before staff publish it
    originals = list((storage_root(app) / "originals").iterdir())
    assert [p.name for p in originals] == [f"{issue.source_sha256}.pdf"]
    assert originals[0].read_bytes() == small_pdf.read_bytes()
    assert not list((storage_root(app) / "staging").rglob("*.part"))
    event = db.session.scalar(select(AuditEvent))
    assert event.action == "issue.upload" and event.actor_email == "redac@challenge.ma"
    size = round(event.details["bytes"] / 1024)
    assert event.summary == f"Challenge N°228 (numero-228.pdf, {size} Ko)"
    assert event.details["sha256"] == issue.source_sha256 and "via" not in event.details


# The ingestion job runs inside the request (HUEY_IMMEDIATE) and commits on its own: the
# request's later rollback of its savepoint would undo it in a rolled-back test.
@pytest.mark.commits
def test_upload_without_javascript_uses_the_form_token(staff_client, small_pdf) -> None:
    token = csrf_token(staff_client, URL)
    data = upload_data(small_pdf)
    data["csrf_token"] = token
    response = staff_client.post(URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/redaction/numeros/")


def test_missing_csrf_token_is_refused_and_nothing_is_kept(app, staff_client, small_pdf) -> None:
    response = staff_client.post(
        URL,
        data=upload_data(small_pdf),
        headers={"Accept": "application/json", "X-CSRFToken": "forged"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    data = upload_data(small_pdf)
    response = staff_client.post(URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert issue_count() == 0
    assert stored_files(storage_root(app)) == []


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n" + b"\0" * 5000,  # an image renamed .pdf
        b"Ceci n'est pas un PDF, juste du texte.\n" * 100,
        b"oops\n",  # as in corpus/broken/qpdf-bad1-not-a-pdf.pdf
    ],
)
def test_non_pdf_is_refused_by_content_and_nothing_is_kept(app, staff_client, content) -> None:
    response = post_upload(staff_client, content, filename="numero.pdf")
    assert response.status_code == 415
    assert "n'est pas un PDF" in response.get_json()["error"]
    assert issue_count() == 0
    assert stored_files(storage_root(app)) == []


@pytest.mark.parametrize("size", [100_000, 400_000])
def test_oversized_file_is_refused_and_nothing_is_kept(app, staff_client, size) -> None:
    """100 kB: refused while streaming (past the limit); 400 kB: refused from the declared
    Content-Length before a byte is read."""
    app.config["MAX_UPLOAD_BYTES"] = 50_000
    content = b"%PDF-1.7\n" + b"0" * size
    response = post_upload(staff_client, content)
    assert response.status_code == 413
    assert "taille maximale autorisée (49 Ko)" in response.get_json()["error"]
    assert issue_count() == 0
    assert stored_files(storage_root(app)) == []


# The ingestion job runs inside the request (HUEY_IMMEDIATE) and commits on its own: the
# request's later rollback of its savepoint would undo it in a rolled-back test.
@pytest.mark.commits
def test_same_number_is_refused_same_file_is_warned(app, staff_client, small_pdf) -> None:
    assert post_upload(staff_client, small_pdf).status_code == 201
    files_before = stored_files(storage_root(app))
    again = post_upload(staff_client, small_pdf)
    assert again.status_code == 409
    assert "Challenge N°228 existe déjà" in again.get_json()["error"]
    first = db.session.scalar(select(Issue))
    assert again.get_json()["fields"] == {
        "number": [f"Ce numéro existe déjà (/redaction/numeros/{first.id})."]
    }
    assert stored_files(storage_root(app)) == files_before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 1  # the refusal's: none
    same_file = post_upload(staff_client, small_pdf, number=229)
    assert same_file.status_code == 201
    assert same_file.get_json()["warnings"] == [
        "Attention : ce fichier est identique à celui de Challenge N°228."
    ]
    page = staff_client.get(same_file.get_json()["url"]).get_data(as_text=True)
    assert "Ce fichier est identique à celui de" in page


def test_invalid_fields_are_reported_and_nothing_is_kept(app, staff_client, small_pdf) -> None:
    response = post_upload(staff_client, small_pdf, number="", period_label="")
    assert response.status_code == 400
    fields = response.get_json()["fields"]
    assert set(fields) == {"number", "period_label"}
    assert stored_files(storage_root(app)) == []


# The ingestion job runs inside the request (HUEY_IMMEDIATE) and commits on its own: the
# request's later rollback of its savepoint would undo it in a rolled-back test.
@pytest.mark.commits
def test_broken_pdf_is_accepted_then_fails_with_a_reason(app, staff_client) -> None:
    broken = shared_path("corpus", "broken", "ocrmypdf-invalid-header-eof-only.pdf")
    response = post_upload(staff_client, broken)
    assert response.status_code == 201
    issue = db.session.get(Issue, response.get_json()["issue_id"])
    assert issue.status is IssueStatus.FAILED
    assert "endommagé" in issue.failure_reason or "PDF" in issue.failure_reason
    state = staff_client.get(f"/redaction/numeros/{issue.id}/etat.json").get_json()
    assert state["status"] == "failed" and state["reason"] == issue.failure_reason


def test_upload_spool_never_holds_the_file_in_memory(tmp_path) -> None:
    """The sink writes each chunk to disk as it arrives and hashes it on the way."""
    import hashlib

    sink = streaming.UploadedFile(tmp_path, limit=10_000_000, filename="x.pdf")
    chunks = [b"%PDF-1.7\n"] + [bytes([i]) * 65536 for i in range(40)]
    for chunk in chunks:
        sink.write(chunk)
        assert sink.path.stat().st_size <= sum(map(len, chunks))  # on disk as we go
    sink.finish()
    assert sink.path.read_bytes() == b"".join(chunks)
    assert sink.sha256 == hashlib.sha256(b"".join(chunks)).hexdigest()
    sink.discard()
    assert not sink.path.exists()


# The ingestion job runs inside the request (HUEY_IMMEDIATE) and commits on its own: the
# request's later rollback of its savepoint would undo it in a rolled-back test.
@pytest.mark.commits
def test_a_multi_megabyte_upload_streams_through(app, staff_client) -> None:
    """Bigger than the parser's read chunk and form-memory limit: still one stream."""
    content = b"%PDF-1.7\n" + bytes(range(256)) * 8192  # 2 MiB
    response = post_upload(staff_client, content)
    assert response.status_code == 201
    issue = db.session.get(Issue, response.get_json()["issue_id"])
    original = storage_root(app) / "originals" / f"{issue.source_sha256}.pdf"
    assert original.read_bytes() == content
    assert issue.status is IssueStatus.FAILED  # not a real PDF inside: the job says why
