"""The staff domain functions without HTTP: catalog operations (metadata, TOC, publishing,
deletion), the audit log and the SVG charts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from magazine_app import storage
from magazine_app.access import is_published
from magazine_app.catalog import operations, queries
from magazine_app.core import audit
from magazine_app.core.extensions import db
from magazine_app.models import IssueStatus, utcnow
from magazine_app.staff.charts import bar_chart


def test_cover_lines_round_trip() -> None:
    text = "ACTUALITÉ | Le Maroc passe à l'Euro 6\n\n  La Bourse en hausse  \nAUTO|Dacia"
    lines = operations.parse_cover_lines(text)
    assert lines == [
        {"kicker": "ACTUALITÉ", "title": "Le Maroc passe à l'Euro 6"},
        {"kicker": "", "title": "La Bourse en hausse"},
        {"kicker": "AUTO", "title": "Dacia"},
    ]
    assert operations.parse_cover_lines(operations.format_cover_lines(lines)) == lines


def test_metadata_refuses_a_number_taken(app, make_issue) -> None:
    a, b = make_issue(number=227), make_issue(number=228)
    meta = operations.Metadata(227, "", b.period_label, b.release_date, b.cover_lines)
    with pytest.raises(operations.EditorialError, match="N°227 existe déjà"):
        operations.update_metadata(b, meta, actor=None)
    meta.number = 229
    assert operations.update_metadata(b, meta, actor=None) == ["number"]
    assert a.number == 227


def test_toc_replace_validate_and_rebuild(app, make_issue) -> None:
    issue = make_issue(pages=8)
    extracted = [(t.level, t.title, t.page) for t in issue.toc_entries]
    rows = [operations.TocRow(1, "Une", 1), operations.TocRow(2, "Deux", 8)]
    operations.replace_toc(issue, rows, actor=None)
    db.session.commit()
    assert [(t.position, t.title) for t in issue.toc_entries] == [(0, "Une"), (1, "Deux")]
    assert issue.toc_source == "edited"
    errors = operations.validate_toc(
        issue, [operations.TocRow(0, " ", 9), operations.TocRow(1, "ok", 1)]
    )
    assert errors == [
        "Entrée 1 : le titre est vide.",
        "Entrée 1 : le niveau doit être entre 1 et 3.",
        "Entrée 1 : la page doit être entre 1 et 8.",
    ]
    with pytest.raises(operations.EditorialError):
        operations.replace_toc(issue, [operations.TocRow(1, "x", 99)], actor=None)
    assert operations.rebuild_toc(issue, actor=None) == len(extracted)
    assert [(t.level, t.title, t.page) for t in issue.toc_entries] == extracted
    assert issue.toc_source == "outline"


def test_publishing_rules(app, make_issue) -> None:
    issue = make_issue(pages=4, published=False)
    now = utcnow()
    assert operations.publication_state(issue, now) == "draft"
    with pytest.raises(operations.EditorialError, match="à venir"):
        operations.schedule(issue, now - timedelta(minutes=1), now, actor=None)
    operations.schedule(issue, now + timedelta(hours=2), now, actor=None)
    assert operations.publication_state(issue, now) == "scheduled"
    assert not is_published(issue, now)
    assert is_published(issue, now + timedelta(hours=2))  # no job: time alone publishes
    issue.status = IssueStatus.PROCESSING
    assert not is_published(issue, now + timedelta(hours=2))  # never half-processed
    with pytest.raises(operations.EditorialError, match="pas prêt"):
        operations.publish_now(issue, now, actor=None)
    issue.status = IssueStatus.FAILED
    with pytest.raises(operations.EditorialError, match="échoué"):
        operations.schedule(issue, now + timedelta(hours=1), now, actor=None)
    operations.retry(issue, actor=None)
    assert issue.status is IssueStatus.QUEUED and issue.failure_reason is None
    with pytest.raises(operations.EditorialError):
        operations.retry(issue, actor=None)  # only a failed job is retried
    issue.status = IssueStatus.READY
    operations.publish_now(issue, now, actor=None)
    assert operations.publication_state(issue, now) == "published"
    operations.unpublish(issue, actor=None)
    assert issue.publish_at is None


def test_delete_keeps_a_shared_original_and_refuses_while_processing(app, make_issue) -> None:
    a, b = make_issue(pages=4), make_issue(pages=4)
    assert a.source_sha256 == b.source_sha256
    b.status = IssueStatus.PROCESSING
    with pytest.raises(operations.EditorialError, match="en cours de traitement"):
        operations.delete_issue(b, actor=None)
    paths = operations.delete_issue(a, actor=None)
    assert paths == [storage.issue_root(a.id)]  # the original is still b's
    db.session.commit()
    operations.remove_files(paths)
    assert not paths[0].exists()
    b.status = IssueStatus.READY
    paths = operations.delete_issue(b, actor=None)
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


def test_audit_line_without_a_staff_member_says_where_it_came_from(app, make_user) -> None:
    cli = audit.record(audit.Via.CLI, "subscription.grant", "a@b.c : formule")
    api = audit.record(audit.Via.API, "subscription.billing", "a@b.c : formule", None, {"x": 1})
    job = audit.record(None, "issue.job_abandoned", "Challenge N°1")
    staff = audit.record(make_user(role="staff"), "issue.publish", "Challenge N°1")
    assert (cli.actor_id, cli.actor_email, cli.details) == (None, "", {"via": "cli"})
    assert api.details == {"x": 1, "via": "api"}
    assert job.details == {} and "via" not in staff.details and staff.actor_id is not None


def test_find_issue_by_publication_or_slug(app, make_issue) -> None:
    issue = make_issue(number=228)
    make_issue("challenge-auto", number=228)
    assert queries.find_issue("challenge", 228) is issue
    assert queries.find_issue(issue.publication, 228) is issue
    assert queries.find_issue("challenge", 229) is None
    assert queries.find_issue("nope", 228) is None


def test_staff_list_is_bounded_newest_first(app, make_issue, monkeypatch) -> None:
    from datetime import date

    old = make_issue(number=1, release_date=date(2020, 1, 1))
    new = make_issue(number=2, release_date=date(2022, 1, 1))
    auto = make_issue("challenge-auto", number=3, release_date=date(2021, 1, 1))
    assert queries.staff_issues() == [new, auto, old]
    assert queries.staff_issues("challenge-auto") == [auto]
    monkeypatch.setattr(queries, "STAFF_LIST_LIMIT", 1)
    assert queries.staff_issues() == [new]


def test_bar_chart_escapes_and_scales() -> None:
    svg = str(bar_chart([("1", 4), ("<b>", 2), ("3", 0)], title="Lecteurs & pages"))
    assert svg.startswith('<svg class="chart"') and "Lecteurs &amp; pages" in svg
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert svg.count("<rect") == 3
