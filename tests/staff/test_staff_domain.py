"""The staff domain functions without HTTP: editorial (metadata, TOC, publishing,
deletion), the audit log and the SVG charts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from magazine_app import storage
from magazine_app.catalog import operations as editorial
from magazine_app.core import audit
from magazine_app.core.extensions import db
from magazine_app.models import IssueStatus, utcnow
from magazine_app.staff.charts import bar_chart


def test_cover_lines_round_trip() -> None:
    text = "ACTUALITÉ | Le Maroc passe à l'Euro 6\n\n  La Bourse en hausse  \nAUTO|Dacia"
    lines = editorial.parse_cover_lines(text)
    assert lines == [
        {"kicker": "ACTUALITÉ", "title": "Le Maroc passe à l'Euro 6"},
        {"kicker": "", "title": "La Bourse en hausse"},
        {"kicker": "AUTO", "title": "Dacia"},
    ]
    assert editorial.parse_cover_lines(editorial.format_cover_lines(lines)) == lines


def test_metadata_refuses_a_number_taken(app, make_issue) -> None:
    a, b = make_issue(number=227), make_issue(number=228)
    meta = editorial.Metadata(227, "", b.period_label, b.release_date, b.cover_lines)
    with pytest.raises(editorial.EditorialError, match="N°227 existe déjà"):
        editorial.update_metadata(b, meta)
    meta.number = 229
    assert editorial.update_metadata(b, meta) == ["number"]
    assert a.number == 227


def test_toc_replace_validate_and_rebuild(app, make_issue) -> None:
    issue = make_issue(pages=8)
    extracted = [(t.level, t.title, t.page) for t in issue.toc_entries]
    rows = [editorial.TocRow(1, "Une", 1), editorial.TocRow(2, "Deux", 8)]
    editorial.replace_toc(issue, rows)
    db.session.commit()
    assert [(t.position, t.title) for t in issue.toc_entries] == [(0, "Une"), (1, "Deux")]
    assert issue.toc_source == "edited"
    errors = editorial.validate_toc(
        issue, [editorial.TocRow(0, " ", 9), editorial.TocRow(1, "ok", 1)]
    )
    assert errors == [
        "Entrée 1 : le titre est vide.",
        "Entrée 1 : le niveau doit être entre 1 et 3.",
        "Entrée 1 : la page doit être entre 1 et 8.",
    ]
    with pytest.raises(editorial.EditorialError):
        editorial.replace_toc(issue, [editorial.TocRow(1, "x", 99)])
    assert editorial.rebuild_toc(issue) == len(extracted)
    assert [(t.level, t.title, t.page) for t in issue.toc_entries] == extracted
    assert issue.toc_source == "outline"


def test_publishing_rules(app, make_issue) -> None:
    issue = make_issue(pages=4, published=False)
    now = utcnow()
    assert editorial.publication_state(issue, now) == "draft"
    with pytest.raises(editorial.EditorialError, match="à venir"):
        editorial.schedule(issue, now - timedelta(minutes=1), now)
    editorial.schedule(issue, now + timedelta(hours=2), now)
    assert editorial.publication_state(issue, now) == "scheduled"
    assert not issue.is_published(now)
    assert issue.is_published(now + timedelta(hours=2))  # no job: time alone publishes
    issue.status = IssueStatus.PROCESSING
    assert not issue.is_published(now + timedelta(hours=2))  # never half-processed
    with pytest.raises(editorial.EditorialError, match="pas prêt"):
        editorial.publish_now(issue, now)
    issue.status = IssueStatus.FAILED
    with pytest.raises(editorial.EditorialError, match="échoué"):
        editorial.schedule(issue, now + timedelta(hours=1), now)
    editorial.retry(issue)
    assert issue.status is IssueStatus.QUEUED and issue.failure_reason is None
    with pytest.raises(editorial.EditorialError):
        editorial.retry(issue)  # only a failed job is retried
    issue.status = IssueStatus.READY
    editorial.publish_now(issue, now)
    assert editorial.publication_state(issue, now) == "published"
    editorial.unpublish(issue)
    assert issue.publish_at is None


def test_delete_keeps_a_shared_original_and_refuses_while_processing(app, make_issue) -> None:
    a, b = make_issue(pages=4), make_issue(pages=4)
    assert a.source_sha256 == b.source_sha256
    b.status = IssueStatus.PROCESSING
    with pytest.raises(editorial.EditorialError, match="en cours de traitement"):
        editorial.delete_issue(b)
    paths = editorial.delete_issue(a)
    assert paths == [storage.issue_root(a.id)]  # the original is still b's
    db.session.commit()
    editorial.remove_files(paths)
    assert not paths[0].exists()
    b.status = IssueStatus.READY
    paths = editorial.delete_issue(b)
    assert storage.original_path(b.source_sha256) in paths


def test_audit_record_and_listing(app, make_user) -> None:
    user = make_user("redac@challenge.ma", role="staff")
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(user, "issue.burn", "x")
    for i in range(3):
        audit.record(user, "issue.publish", f"Challenge N°{i}")
    audit.record(None, "subscription.grant", "a@b.c : formule")
    db.session.commit()
    page = audit.events(per_page=2)
    assert page.total == 4 and page.pages == 2
    assert [e.summary for e in page.events] == ["a@b.c : formule", "Challenge N°2"]
    only = audit.events("issue.publish")
    assert only.total == 3 and all(e.actor_email == user.email for e in only.events)


def test_bar_chart_escapes_and_scales() -> None:
    svg = str(bar_chart([("1", 4), ("<b>", 2), ("3", 0)], title="Lecteurs & pages"))
    assert svg.startswith('<svg class="chart"') and "Lecteurs &amp; pages" in svg
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert svg.count("<rect") == 3
