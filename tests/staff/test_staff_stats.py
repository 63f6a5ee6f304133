"""Reading statistics: the viewer's batched events endpoint (gate-respecting, cheap) and
the figures, charts and CSV staff see."""

from __future__ import annotations

from sqlalchemy import event, func, select

from magazine_app.access import Access, Level, Reason
from magazine_app.catalog import reports, stats
from magazine_app.core.extensions import db
from magazine_app.models import IssueReader, PageStat, utcnow
from tests.conftest import csrf_token


def send(client, issue, events, token=None):
    token = token if token is not None else csrf_token(client, "/")
    return client.post(
        f"/lire/{issue.publication.slug}/{issue.number}/evenements",
        json={"events": events, "csrf_token": token},
    )


def test_anonymous_events_count_only_preview_pages(client, make_issue) -> None:
    issue = make_issue(pages=8, preview_pages=3)
    response = send(
        client,
        issue,
        [{"page": 1, "seconds": 12}, {"page": 2, "seconds": 30}, {"page": 6, "seconds": 50}],
    )
    assert response.status_code == 204
    rows = {r.page: r for r in db.session.scalars(select(PageStat))}
    assert set(rows) == {1, 2}  # page 6 is locked for an anonymous reader: ignored
    assert rows[2].seconds == 30 and rows[2].readers == 1
    reader = db.session.scalar(select(IssueReader))
    assert reader.user_id is None and reader.reader_key.startswith("t")
    assert reader.seconds == 42 and reader.pages_seen == [1, 2]


def test_a_page_counts_once_per_reader_across_batches(
    client, auth, make_subscriber, make_issue
) -> None:
    issue = make_issue(pages=8)
    user = make_subscriber("abonne@example.com")
    auth.login(user.email)
    token = csrf_token(client, "/")
    send(client, issue, [{"page": 5, "seconds": 30}], token)
    send(client, issue, [{"page": 5, "seconds": 30}, {"page": 6, "seconds": 10}], token)
    figures = reports.issue_stats(issue)
    assert figures.readers == 1 and figures.subscribers == 1
    assert figures.pages_viewed == 2  # pages 5 and 6, page 5 not counted twice
    assert figures.total_seconds == 70 and figures.average_seconds == 70
    page5 = figures.pages[4]
    assert (page5.readers, page5.views, page5.seconds) == (1, 2, 60)
    assert reports.last_reading(user).page == 6


def test_events_need_the_csrf_token_and_a_valid_body(client, make_issue) -> None:
    issue = make_issue(pages=4)
    assert send(client, issue, [{"page": 1, "seconds": 3}], token="forged").status_code == 400
    assert send(client, issue, [{"page": "1", "seconds": 3}]).status_code == 400
    assert send(client, issue, [{"page": 1, "seconds": 3}] * 201).status_code == 400
    url = f"/lire/challenge/{issue.number}/evenements"
    assert client.post(url, data="not json").status_code == 400
    assert db.session.scalar(select(func.count(PageStat.id))) == 0


def test_unpublished_issue_and_staff_reading_are_not_counted(
    client,
    auth,
    make_issue,
    staff_user,
) -> None:
    draft = make_issue(pages=4, published=False)
    assert send(client, draft, [{"page": 1, "seconds": 3}]).status_code == 404
    issue = make_issue(pages=4)
    auth.login(staff_user.email)
    assert send(client, issue, [{"page": 1, "seconds": 3}]).status_code == 204
    assert db.session.scalar(select(func.count(IssueReader.id))) == 0


def test_a_batch_costs_a_few_statements(client, make_issue) -> None:
    """Cheap: one batch of 20 events is a handful of SQL statements, not one per event."""
    issue = make_issue(pages=8, preview_pages=8)
    token = csrf_token(client, "/")
    writes: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        events = [{"page": 1 + i % 8, "seconds": 5} for i in range(20)]
        assert send(client, issue, events, token).status_code == 204
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(writes) <= 4, writes  # reader insert-or-ignore, reader update, one page upsert


def test_domain_rules_for_events(app, make_issue) -> None:
    issue = make_issue(pages=6, preview_pages=2)
    preview = Access(Level.PREVIEW, Reason.ANONYMOUS)
    events = stats.parse_events(
        {"events": [{"page": 1, "seconds": 10_000}, {"page": 3, "seconds": 5}, {"page": 99}]}
    )
    assert events[0].seconds == stats.MAX_SECONDS_PER_EVENT
    result = stats.record_events(issue, preview, "tabc", None, events, utcnow())
    assert (result.recorded, result.ignored) == (1, 2)
    db.session.commit()
    assert reports.issue_stats(issue).total_seconds == stats.MAX_SECONDS_PER_EVENT


def test_stats_page_chart_and_csv(staff_client, client, make_issue) -> None:
    issue = make_issue(pages=6, preview_pages=6)
    other = issue.publication.title
    for who in range(3):
        reader = staff_client.application.test_client()  # a new anonymous browser
        send(reader, issue, [{"page": p, "seconds": 20} for p in range(1, 3 + who)])
    page = staff_client.get(f"/redaction/numeros/{issue.id}/statistiques").get_data(as_text=True)
    assert '<svg class="chart"' in page and "Lecteurs par page" in page
    assert '>3</span><span class="figures__label">lecteurs' in page
    csv = staff_client.get(f"/redaction/numeros/{issue.id}/statistiques.csv")
    assert csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "page;lecteurs;affichages;secondes"
    assert lines[1] == "1;3;3;60"  # page 1 read by all three
    assert lines[4] == "4;1;1;20"
    assert f"numéro;{other} N°{issue.number}" in lines
    assert "lecteurs;3" in lines
