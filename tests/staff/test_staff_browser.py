"""The staff console in a real headless Chromium, against a live server whose jobs run
through a real queue (SQLite Huey) consumed by a background thread (tests only; the PDF
work itself runs in child processes): upload a real magazine and watch the progress,
edit the TOC, schedule then publish and find the issue in the kiosk; a broken PDF shows
its failure reason; a non-PDF and an oversized file are refused with nothing stored."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from magazine_app.catalog import operations
from magazine_app.core.extensions import db
from magazine_app.models import Issue, IssueStatus, utcnow
from tests.conftest import TEST_PASSWORD, shared_path
from tests.staff.conftest import stored_files

pytestmark = pytest.mark.browser

MAGAZINE = ("corpus", "magazines", "fsm-issue13-changing-the-ubuntu-look.pdf")
BROKEN = ("corpus", "broken", "ocrmypdf-invalid-header-eof-only.pdf")


def login(page, server, email: str) -> None:
    page.goto(server.url("/connexion?next=/redaction/"))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(server.url("/redaction/"))


def fill_upload(page, pdf: Path, number: int) -> None:
    page.get_by_label("Publication").select_option("challenge")
    page.get_by_label("Numéro").fill(str(number))
    page.get_by_label("Période").fill("Du 11 au 17 février 2022")
    page.get_by_label("Date de parution").fill("2022-02-11")
    page.get_by_label("À la une").fill("ACTUALITÉ | Changer l'allure d'Ubuntu\nLogiciel libre")
    page.locator("#pdf").set_input_files(str(pdf))


def test_upload_progress_toc_schedule_publish_kiosk(page, staff_server, staff_user) -> None:
    app, server, _ = staff_server
    pdf = shared_path(*MAGAZINE)
    states: list[dict] = []
    page.on(
        "response",
        lambda r: states.append(r.json()) if r.url.endswith("/etat.json") and r.ok else None,
    )
    login(page, server, staff_user.email)
    page.get_by_role("link", name="Téléverser un numéro").click()
    fill_upload(page, pdf, 228)
    expect(page.locator("#pdf-name")).to_contain_text("fsm-issue13")
    page.get_by_role("button", name="Téléverser").click()

    page.wait_for_url(re.compile(r"/redaction/numeros/\d+$"))
    expect(page.get_by_text("est téléversé : le traitement commence")).to_be_visible()
    expect(page.locator("#job-label")).to_have_text(
        re.compile(r"Terminé : 12 pages prêtes"), timeout=90_000
    )
    seen = [s["status"] for s in states]
    assert "ready" in seen and ({"queued", "processing"} & set(seen)), seen
    # While the job ran, the widget showed "page N of 12" (polled every 0.3 s here).
    labels = [s["label"] for s in states if s["status"] == "processing"]
    assert any(re.fullmatch(r"Traitement : page \d+ sur 12", label) for label in labels), labels
    # The page reloads once done and shows the thumbnails.
    expect(page.locator(".thumbs__item img")).to_have_count(12, timeout=10_000)
    issue_id = int(page.url.rsplit("/", 1)[1])

    # Edit a TOC entry: rename it and pick its page from the thumbnails.
    page.get_by_role("link", name="Sommaire").click()
    first = page.locator("#toc-list [data-row]").first
    first.get_by_label("Titre").fill("Édito : changer l'allure d'Ubuntu")
    first.get_by_role("button", name="Vignettes").click()
    page.get_by_role("button", name="Page 2", exact=True).click()
    expect(first.get_by_label("Page")).to_have_value("2")
    page.get_by_role("button", name="Enregistrer le sommaire").click()
    expect(page.get_by_text("Sommaire enregistré.")).to_be_visible()
    with app.app_context():
        issue = db.session.get(Issue, issue_id)
        assert (issue.toc_entries[0].title, issue.toc_entries[0].page) == (
            "Édito : changer l'allure d'Ubuntu",
            2,
        )
        db.session.remove()

    # Schedule for tomorrow: not in the kiosk yet.
    page.get_by_role("link", name="Vue d'ensemble").click()
    tomorrow = local_input(app, utcnow() + timedelta(days=1))
    page.get_by_label("Date et heure de publication").fill(tomorrow)
    page.get_by_role("button", name="Programmer").click()
    expect(page.get_by_text("Publication programmée le")).to_be_visible()
    expect(page.locator(".pubcard")).to_contain_text("Programmé : visible des lecteurs le")
    page.goto(server.url("/"))
    expect(page.locator(".kiosk")).not_to_contain_text("N°228")

    # Publish now: it appears in the kiosk.
    page.goto(server.url(f"/redaction/numeros/{issue_id}"))
    page.get_by_role("button", name="Publier maintenant").click()
    expect(page.get_by_text("Le numéro est en ligne.")).to_be_visible()
    page.goto(server.url("/"))
    expect(page.locator(".kiosk")).to_contain_text("N°228")


def local_input(app, utc) -> str:
    with app.app_context():
        return operations.utc_to_local(utc).strftime("%Y-%m-%dT%H:%M")


def test_broken_pdf_shows_the_failure_reason(page, staff_server, staff_user) -> None:
    _, server, _ = staff_server
    login(page, server, staff_user.email)
    page.goto(server.url("/redaction/numeros/nouveau"))
    fill_upload(page, shared_path(*BROKEN), 229)
    page.get_by_role("button", name="Téléverser").click()
    page.wait_for_url(re.compile(r"/redaction/numeros/\d+$"))
    expect(page.locator("#job-badge")).to_have_text("Échec", timeout=60_000)
    expect(page.locator("#job-reason")).to_contain_text("PDF")
    expect(page.get_by_role("button", name="Relancer")).to_be_visible()


def test_non_pdf_and_oversized_are_refused_with_nothing_stored(
    page,
    staff_server,
    staff_user,
    tmp_path: Path,
) -> None:
    app, server, _ = staff_server
    root = Path(app.config["STORAGE_ROOT"])
    login(page, server, staff_user.email)
    page.goto(server.url("/redaction/numeros/nouveau"))

    fake = tmp_path / "numero-230.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20_000)
    fill_upload(page, fake, 230)
    page.get_by_role("button", name="Téléverser").click()
    expect(page.locator("#upload-error")).to_contain_text("n'est pas un PDF")

    big = tmp_path / "enorme.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * (4 * 1024 * 1024))
    page.locator("#pdf").set_input_files(str(big))
    expect(page.locator("#upload-error")).to_contain_text("la taille maximale est de 3 Mo")
    page.get_by_role("button", name="Téléverser").click()
    expect(page.locator("#upload-error")).to_contain_text("la taille maximale est de 3 Mo")
    assert page.url.endswith("/redaction/numeros/nouveau")

    with app.app_context():
        assert db.session.scalar(select(func.count(Issue.id))) == 0
        db.session.remove()
    assert stored_files(root) == []


STAFF_PAGES = [
    "/redaction/",
    "/redaction/numeros/nouveau",
    "/redaction/numeros/{id}",
    "/redaction/numeros/{id}/modifier",
    "/redaction/numeros/{id}/sommaire",
    "/redaction/numeros/{id}/statistiques",
    "/redaction/numeros/{id}/supprimer",
    "/redaction/abonnes?q=redac",
    "/redaction/abonnes/{user}",
]


def test_staff_pages_fit_a_phone_without_console_errors(
    browser,
    live_server,
    make_issue,
    staff_user,
) -> None:
    issue = make_issue(pages=6)
    assert issue.status is IssueStatus.READY
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        login(page, live_server, staff_user.email)
        for path in STAFF_PAGES:
            page.goto(live_server.url(path.format(id=issue.id, user=staff_user.id)))
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path}: horizontal overflow of {overflow}px at 375px"
        assert errors == []
    finally:
        context.close()
