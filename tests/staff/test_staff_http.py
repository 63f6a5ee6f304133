"""The staff console over HTTP: closed to everyone but staff (every route, listed from the
blueprint), and each page and action doing what it says."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from magazine_app.access import is_published
from magazine_app.catalog import operations
from magazine_app.core.extensions import db
from magazine_app.models import AuditEvent, Issue, Subscription, utcnow
from tests.conftest import csrf_token


def follow(client, url: str, **kwargs):
    """POST, then GET the redirect target (the isolated test client cannot follow)."""
    response = client.post(url, **kwargs)
    assert response.status_code == 302, response.status_code
    return client.get(response.headers["Location"])


def staff_routes(app) -> list[tuple[str, str]]:
    """(method, concrete URL) for every rule of the staff blueprint."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff."):
            continue
        values = {arg: 1 for arg in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, url))
    return out


def test_the_staff_blueprint_has_the_expected_routes(app) -> None:
    routes = staff_routes(app)
    assert len(routes) >= 24
    assert ("GET", "/redaction/") in routes
    assert ("POST", "/redaction/numeros/nouveau") in routes


def _open(client, method: str, url: str):
    """With a valid CSRF token, so that what refuses is the role check, not CSRF."""
    data = {"csrf_token": csrf_token(client, "/")} if method == "POST" else None
    return client.open(url, method=method, data=data)


def test_anonymous_is_sent_to_login_on_every_staff_route(app, client) -> None:
    for method, url in staff_routes(app):
        response = _open(client, method, url)
        assert response.status_code == 302, (method, url, response.status_code)
        assert "/connexion" in response.headers["Location"], (method, url)


def test_readers_get_403_on_every_staff_route(app, client, auth, make_user) -> None:
    reader = make_user("lecteur@example.com")
    auth.login(reader.email)
    for method, url in staff_routes(app):
        response = _open(client, method, url)
        assert response.status_code == 403, (method, url, response.status_code)


def test_staff_get_403_on_the_admin_audit_log(client, auth, staff_user) -> None:
    auth.login(staff_user.email)
    assert client.get("/redaction/").status_code == 200
    assert client.get("/redaction/journal").status_code == 403


def test_every_staff_page_renders(staff_client, make_issue, make_user) -> None:
    issue = make_issue(pages=6)
    reader = make_user("abonne@example.com", name="Amina Benali")
    pages = [
        "/redaction/",
        "/redaction/?publication=challenge",
        "/redaction/numeros/nouveau",
        f"/redaction/numeros/{issue.id}",
        f"/redaction/numeros/{issue.id}/modifier",
        f"/redaction/numeros/{issue.id}/sommaire",
        f"/redaction/numeros/{issue.id}/supprimer",
        f"/redaction/numeros/{issue.id}/statistiques",
        "/redaction/abonnes",
        "/redaction/abonnes?q=amina",
        f"/redaction/abonnes/{reader.id}",
    ]
    for url in pages:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert "<script>" not in body and ' style="' not in body, url  # CSP
    assert "Amina Benali" in staff_client.get("/redaction/abonnes?q=amina").get_data(as_text=True)


def test_the_nav_shows_the_staff_link_to_staff_only(client, auth, make_user, staff_user) -> None:
    reader = make_user("lecteur@example.com")
    auth.login(reader.email)
    assert "Rédaction" not in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login(staff_user.email)
    assert 'href="/redaction/"' in client.get("/").get_data(as_text=True)


def test_state_json_reports_progress(staff_client, make_issue) -> None:
    issue = make_issue(pages=4)
    data = staff_client.get(f"/redaction/numeros/{issue.id}/etat.json").get_json()
    assert data["status"] == "ready" and data["percent"] == 100 and data["finished"]
    issue.status = issue.status.PROCESSING
    issue.progress_done, issue.progress_total = 3, 12
    db.session.commit()
    data = staff_client.get(f"/redaction/numeros/{issue.id}/etat.json").get_json()
    assert data["label"] == "Traitement : page 3 sur 12"
    assert data["percent"] == 25 and not data["finished"]
    issue.status = issue.status.FAILED
    issue.failure_reason = "Ce PDF est protégé par un mot de passe : exportez-le sans protection."
    db.session.commit()
    data = staff_client.get(f"/redaction/numeros/{issue.id}/etat.json").get_json()
    assert data["reason"].startswith("Ce PDF est protégé")
    page = staff_client.get(f"/redaction/numeros/{issue.id}").get_data(as_text=True)
    assert "Relancer" in page and "protégé par un mot de passe" in page


def test_issue_page_marks_the_free_pages_the_gate_gives(staff_client, make_issue) -> None:
    issue = make_issue(pages=5, preview_pages=2)
    for preview, free in ((2, [1, 2]), (0, []), (5, [1, 2, 3, 4, 5])):
        issue.preview_pages = preview
        db.session.commit()
        page = staff_client.get(f"/redaction/numeros/{issue.id}").get_data(as_text=True)
        marked = re.findall(r'thumbs__label">(\d+) · libre<', page)
        assert [int(n) for n in marked] == free, preview
        assert page.count("thumbs__item--free") == len(free)


def test_edit_metadata_and_preview_pages(staff_client, make_issue) -> None:
    issue = make_issue(pages=6)
    url = f"/redaction/numeros/{issue.id}/modifier"
    token = csrf_token(staff_client, url)
    response = staff_client.post(
        url,
        data={
            "csrf_token": token,
            "number": str(issue.number),
            "title": "Spécial Euro 6",
            "period_label": "Du 18 au 24 février 2022",
            "release_date": "2022-02-18",
            "cover_lines": "AUTO | Le Maroc passe à l'Euro 6\nBourse : le MASI en hausse",
        },
    )
    assert response.status_code == 302
    db.session.refresh(issue)
    assert issue.period_label == "Du 18 au 24 février 2022"
    assert issue.cover_lines == [
        {"kicker": "AUTO", "title": "Le Maroc passe à l'Euro 6"},
        {"kicker": "", "title": "Bourse : le MASI en hausse"},
    ]
    response = staff_client.post(
        f"/redaction/numeros/{issue.id}/apercu",
        data={"csrf_token": token, "preview-preview_pages": "5"},
    )
    assert response.status_code == 302
    db.session.refresh(issue)
    assert issue.preview_pages == 5
    bad = follow(
        staff_client,
        f"/redaction/numeros/{issue.id}/apercu",
        data={"csrf_token": token, "preview-preview_pages": "60"},
    )
    assert "entre 0 et 6" in bad.get_data(as_text=True)
    actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert actions == ["issue.update", "issue.preview"]


def test_toc_editor_saves_the_rows_in_order_and_rebuilds(staff_client, make_issue) -> None:
    issue = make_issue(pages=8)
    original = [(t.level, t.title, t.page) for t in issue.toc_entries]
    url = f"/redaction/numeros/{issue.id}/sommaire"
    token = csrf_token(staff_client, url)
    response = staff_client.post(
        url,
        data={
            "csrf_token": token,
            "toc-level": ["1", "2", "1", "1"],
            "toc-title": ["Éditorial", "  Le Maroc passe à l'Euro 6 ", "Bourse", ""],
            "toc-page": ["2", "3", "7", ""],
        },
    )
    assert response.status_code == 302
    db.session.refresh(issue)
    assert [(t.level, t.title, t.page) for t in issue.toc_entries] == [
        (1, "Éditorial", 2),
        (2, "Le Maroc passe à l'Euro 6", 3),
        (1, "Bourse", 7),
    ]
    invalid = staff_client.post(
        url, data={"csrf_token": token, "toc-level": ["4"], "toc-title": ["X"], "toc-page": ["99"]}
    )
    assert invalid.status_code == 400
    assert "la page doit être entre 1 et 8" in invalid.get_data(as_text=True)
    staff_client.post(f"{url}/reconstruire", data={"csrf_token": token})
    db.session.refresh(issue)
    assert [(t.level, t.title, t.page) for t in issue.toc_entries] == original


def test_publish_schedule_unpublish_with_local_time(staff_client, make_issue) -> None:
    issue = make_issue(pages=4, published=False)
    base = f"/redaction/numeros/{issue.id}"
    token = csrf_token(staff_client, base)
    reader_url = f"/lire/challenge/{issue.number}"
    assert staff_client.application.test_client().get(reader_url).status_code == 404

    local = operations.utc_to_local(utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    staff_client.post(
        f"{base}/programmer",
        data={"csrf_token": token, "publish_at": local.strftime("%Y-%m-%dT%H:%M")},
    )
    db.session.refresh(issue)
    assert issue.publish_at == operations.local_to_utc(local)
    assert operations.publication_state(issue, utcnow()) == "scheduled"
    assert staff_client.application.test_client().get(reader_url).status_code == 404
    page = staff_client.get(base).get_data(as_text=True)
    assert local.strftime("%d/%m/%Y à %H:%M") in page

    past = follow(
        staff_client,
        f"{base}/programmer",
        data={"csrf_token": token, "publish_at": "2020-01-01T10:00"},
    )
    assert "date et une heure à venir" in past.get_data(as_text=True)

    staff_client.post(f"{base}/publier", data={"csrf_token": token})
    db.session.refresh(issue)
    assert is_published(issue, utcnow())
    assert staff_client.application.test_client().get(reader_url).status_code == 200

    staff_client.post(f"{base}/depublier", data={"csrf_token": token})
    db.session.refresh(issue)
    assert issue.publish_at is None
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["issue.schedule", "issue.publish", "issue.unpublish"]


def test_a_scheduled_issue_appears_at_its_time_without_a_job(client, make_issue) -> None:
    issue = make_issue(pages=4, published=utcnow() + timedelta(seconds=1))
    assert client.get(f"/lire/challenge/{issue.number}").status_code == 404
    issue.publish_at = utcnow() - timedelta(seconds=1)  # time passes; nothing else runs
    db.session.commit()
    assert client.get(f"/lire/challenge/{issue.number}").status_code == 200


def test_publishing_is_refused_before_processing_is_done(staff_client, make_issue) -> None:
    issue = make_issue(pages=4, published=False)
    issue.status = issue.status.PROCESSING
    db.session.commit()
    base = f"/redaction/numeros/{issue.id}"
    token = csrf_token(staff_client, base)
    page = follow(staff_client, f"{base}/publier", data={"csrf_token": token})
    assert "pas prêt" in page.get_data(as_text=True)
    assert db.session.get(Issue, issue.id).publish_at is None
    refused = follow(staff_client, f"{base}/supprimer", data={"csrf_token": token})
    assert "en cours de traitement" in refused.get_data(as_text=True)
    assert db.session.get(Issue, issue.id) is not None
    # The operations refused: they wrote no audit line.
    assert db.session.scalars(select(AuditEvent)).all() == []


def test_delete_asks_then_removes_rows_and_files(app, staff_client, make_issue) -> None:
    from magazine_app import storage

    issue = make_issue(pages=4)
    keep = make_issue(pages=4)  # same generated PDF: the original must survive
    folder, number, issue_id = storage.issue_root(issue.id), issue.number, issue.id
    original = storage.original_path(issue.source_sha256)
    assert folder.exists() and original.exists()
    url = f"/redaction/numeros/{issue.id}/supprimer"
    confirm = staff_client.get(url).get_data(as_text=True)
    assert "Supprimer définitivement" in confirm
    response = staff_client.post(url, data={"csrf_token": csrf_token(staff_client, url)})
    assert response.status_code == 302
    assert db.session.get(Issue, issue_id) is None
    assert not folder.exists()
    assert original.exists()  # still used by `keep`
    url = f"/redaction/numeros/{keep.id}/supprimer"
    staff_client.post(url, data={"csrf_token": csrf_token(staff_client, url)})
    assert not original.exists()
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "issue.delete")
    ).first()
    assert event.summary == f"Challenge N°{number}"


def test_subscribers_grant_extend_revoke_are_recorded(staff_client, staff_user, make_user) -> None:
    reader = make_user("amina@example.com", name="Amina")
    url = f"/redaction/abonnes/{reader.id}"
    token = csrf_token(staff_client, url)
    today = date.today()
    staff_client.post(
        f"{url}/accorder",
        data={
            "csrf_token": token,
            "plan": "challenge-1an",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(),
            "note": "Geste commercial",
        },
    )
    sub = db.session.scalar(select(Subscription).where(Subscription.user_id == reader.id))
    assert sub is not None and sub.granted_by_id == staff_user.id
    assert sub.plan.code == "challenge-1an"
    new_end = today + timedelta(days=90)
    staff_client.post(
        f"{url}/abonnements/{sub.id}/prolonger",
        data={"csrf_token": token, "until": new_end.isoformat()},
    )
    db.session.refresh(sub)
    assert sub.ends_on == new_end
    staff_client.post(f"{url}/abonnements/{sub.id}/revoquer", data={"csrf_token": token})
    db.session.refresh(sub)
    assert sub.status.value == "expired"
    page = staff_client.get(url).get_data(as_text=True)
    assert "Terminé" in page and "accordé par redac@challenge.ma" in page
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [e.action for e in events] == [
        "subscription.grant",
        "subscription.extend",
        "subscription.revoke",
    ]
    assert all(e.actor_id == staff_user.id for e in events)
    # Another user's subscription id through this user's URL: 404.
    other = make_user("autre@example.com")
    assert (
        staff_client.post(
            f"/redaction/abonnes/{other.id}/abonnements/{sub.id}/revoquer",
            data={"csrf_token": token},
        ).status_code
        == 404
    )


def test_admin_sees_the_audit_log(client, auth, admin_user, make_issue) -> None:
    issue = make_issue(pages=4, published=False)
    auth.login(admin_user.email)
    token = csrf_token(client, f"/redaction/numeros/{issue.id}")
    client.post(f"/redaction/numeros/{issue.id}/publier", data={"csrf_token": token})
    page = client.get("/redaction/journal").get_data(as_text=True)
    assert "Numéro publié" in page and "admin@challenge.ma" in page
    filtered = client.get("/redaction/journal?action=issue.delete").get_data(as_text=True)
    assert "Aucune action" in filtered
    # A change from the command line says so where the console names its staff member.
    operations.unpublish(issue, actor=None)
    db.session.commit()
    page = client.get("/redaction/journal?action=issue.unpublish").get_data(as_text=True)
    assert "Numéro dépublié" in page and "Ligne de commande" in page


def test_subscriber_search_takes_wildcards_literally(staff_client, make_user) -> None:
    make_user("amina_b@example.com", name="Amina")
    make_user("aminab@example.com", name="100% lecteur")
    found = staff_client.get("/redaction/abonnes?q=AMINA_").get_data(as_text=True)
    assert "amina_b@example.com" in found and "aminab@example.com" not in found
    percent = staff_client.get("/redaction/abonnes?q=%25").get_data(as_text=True)
    assert "aminab@example.com" in percent and "amina_b@example.com" not in percent


def test_check_number_endpoint(staff_client, make_issue) -> None:
    issue = make_issue(pages=4)
    data = staff_client.get(
        f"/redaction/numeros/verifier.json?publication=challenge&number={issue.number}"
    ).get_json()
    assert data["exists"] and data["url"] == f"/redaction/numeros/{issue.id}"
    data = staff_client.get(
        "/redaction/numeros/verifier.json?publication=challenge-auto&number=1"
    ).get_json()
    assert not data["exists"]


@pytest.mark.parametrize("when", ["2026-03-01T12:00", "2026-07-01T12:00"])
def test_local_time_follows_casablanca_rules(app, when) -> None:
    """UTC+1, except during Ramadan (UTC+0): zoneinfo, not a fixed offset."""
    local = datetime.fromisoformat(when)
    utc = operations.local_to_utc(local)
    expected = {"2026-03-01T12:00": 12, "2026-07-01T12:00": 11}[when]
    assert utc.hour == expected
    assert operations.utc_to_local(utc) == local
