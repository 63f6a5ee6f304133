"""Search as an oracle on locked pages, written as the attacker.

The finding: recherche.json told an anonymous visitor which locked pages matched a phrase
or a prefix ("does page 3 contain 'le ministre a*'?"), and 2,000 requests rebuilt a
sentence of a locked page. Here the attacker (anonymous, or logged in without the right
subscription) asks phrases, prefixes, several words, exclusions and single words that occur
only on locked pages: the answers must be the bytes of the answer for a word found nowhere;
for words also on free pages, only the free pages may show. The archive page may say "more
for subscribers" for a single whole word, never for anything finer. Search is rate-limited,
and the SQL the app sends finds no locked page at all (filtered in the engine, not after).
The same tests run on SQLite FTS5 and PostgreSQL (TEST_DATABASE_URL, `-m db`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import current_app
from markupsafe import escape
from sqlalchemy import event

from magazine_app.core.extensions import db, limiter
from magazine_app.models import Role
from tests.conftest import AuthActions, IsolatedClient

FREE_1 = "Couverture : le marché automobile repart. Transfert record pour le Raja."
FREE_2 = "Sommaire de la semaine. Hakimi à la une."
SECRET = "Le ministre a annoncé la privatisation de la compagnie Zerhouniair."
LOCKED_4 = "Hakimi signe un transfert record au Paris Saint-Germain."
TEXTS = [FREE_1, FREE_2, SECRET, LOCKED_4]  # preview: pages 1 and 2

# Queries that match locked pages only (pages 3 or 4), in every form the parser knows.
LOCKED_ONLY = [
    '"le ministre a annoncé"',
    '"ministre a annonc*"',
    '"le ministre a"',
    "ministr*",
    "privatis*",
    "zerhouniai*",
    "ministre annoncé",
    "privatisation -renault",
    '"saint germain"',
    "privatisation",  # single whole words: nothing in the issue, "more" on the archive
    "zerhouniair",
    "ministre",
]
NOWHERE = ["zorglub", '"zorglub blurp"', "zorgl*"]
SINGLE_WORDS = {"privatisation", "zerhouniair", "ministre"}
MORE = "Plus de résultats dans les pages réservées aux abonnés."


@pytest.fixture
def secret_issue(make_text_issue) -> Any:
    return make_text_issue(TEXTS, number=777, preview_pages=2)


@pytest.fixture(params=["anonymous", "no_subscription", "other_publication"])
def attacker(request, client, auth, make_user, make_subscriber) -> Any:
    """A client the gate gives the preview only: anonymous, logged in without a
    subscription, or subscribed to another publication (Challenge Auto)."""
    if request.param != "anonymous":
        if request.param == "other_publication":
            user = make_subscriber(plan="challenge-auto-1an")
        else:
            user = make_user()
        auth.login(user.email)
    client.get("/recherche")  # the login's flash message is shown (and gone) here
    return client


def _json(client, issue, q: str) -> bytes:
    response = client.get(f"/lire/challenge/{issue.number}/recherche.json", query_string={"q": q})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    # The answer echoes the query: that part is the attacker's own input.
    assert response.get_json()["query"] == q
    # (encoded as the app encodes JSON)
    return response.data.replace(current_app.json.dumps(q).encode(), b'"Q"')


_CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+')
_QUERY_IN_URL = re.compile(r'(\bq(?:=|%3D))[^"&\s]*')


def _html(client, q: str) -> str:
    response = client.get("/recherche", query_string={"q": q})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Normalise what is the attacker's own input (the query: escaped in the page, and in
    # the URL of this page that the login and language forms carry) and the CSRF tokens.
    html = _QUERY_IN_URL.sub(r"\1Q", html.replace(str(escape(q)), "Q"))
    return _CSRF.sub(r"\1CSRF", html)


# --------------------------------------------------------------------------- in-issue search


def test_issue_search_answers_locked_only_queries_like_a_word_found_nowhere(
    attacker, secret_issue
) -> None:
    nowhere = {_json(attacker, secret_issue, q) for q in NOWHERE}
    assert len(nowhere) == 1  # the answer for "not found" is one and the same
    [expected] = nowhere
    assert json.loads(expected)["hits"] == []
    for q in LOCKED_ONLY:
        assert _json(attacker, secret_issue, q) == expected, q


def test_issue_search_with_matches_on_both_shows_the_free_pages_only(
    attacker, secret_issue, make_text_issue
) -> None:
    """Words on free and locked pages: the answer is byte for byte the one of a twin issue
    whose locked pages do not have them (same free pages)."""
    twin = make_text_issue([FREE_1, FREE_2, "Rien.", "Rien non plus."], number=778, preview_pages=2)
    for q in ("hakimi", "transfert", '"transfert record"', "transf*", '"transfert rec*"', "record"):
        answer = _json(attacker, secret_issue, q)
        assert answer == _json(attacker, twin, q), q
        data = json.loads(answer)
        assert {h["page"] for h in data["hits"]} <= {1, 2} and data["hits"], q
        assert "Saint-Germain" not in answer.decode() and "signe" not in answer.decode()


def test_subscriber_and_staff_still_find_the_locked_pages(
    client, auth, make_user, make_subscriber, secret_issue
) -> None:
    subscriber = make_subscriber()
    staff = make_user(role=Role.STAFF)
    for user in (subscriber, staff):
        auth.login(user.email)
        url = f"/lire/challenge/{secret_issue.number}/recherche.json"
        data = client.get(url, query_string={"q": '"le ministre a annoncé"'}).get_json()
        assert [h["page"] for h in data["hits"]] == [3] and data["notice"] is None
        assert "<mark>Le ministre a annoncé</mark>" in data["hits"][0]["snippet"]
        data = client.get(url, query_string={"q": "hakimi"}).get_json()
        assert [h["page"] for h in data["hits"]] == [2, 4]
        html = client.get("/recherche", query_string={"q": "ministr*"}).get_data(as_text=True)
        assert "<mark>ministre</mark> a annoncé" in html and MORE not in html
        auth.logout()


# --------------------------------------------------------------------------- archive search


def test_archive_search_says_nothing_of_locked_pages_for_phrases_and_prefixes(
    attacker, secret_issue
) -> None:
    nowhere = {_html(attacker, q) for q in NOWHERE}
    assert len(nowhere) == 1
    [expected] = nowhere
    assert "Aucun résultat pour « Q »." in expected
    for q in LOCKED_ONLY:
        html = _html(attacker, q)
        if q in SINGLE_WORDS:
            # One whole word may be acknowledged: yes or no, no count, issue or page.
            assert MORE in html and html != expected, q
            assert "N°777" not in html and "page" not in _main(html).replace("pages", ""), q
        else:
            assert html == expected, q


def _main(html: str) -> str:
    """The results part of the page (after the form), lower case."""
    after_form = html.split('class="searchform card"', 1)[1].split("</form>", 1)[1]
    return after_form.split("</main>", 1)[0].lower()


def test_archive_search_with_matches_on_both_lists_free_pages_only(attacker, secret_issue) -> None:
    for q, more in (("hakimi", True), ('"transfert record"', False), ("transf*", False)):
        html = _html(attacker, q)
        assert "N°777" in html and "1 page trouvée" in html and "1 page" in html, q
        pages = re.findall(r'class="hit__page"[^>]*>Page (\d+)<', html)
        assert len(pages) == 1 and pages[0] in {"1", "2"}, (q, pages)
        assert "Saint-Germain" not in html and "signe" not in html, q
        assert (MORE in html) is more, q


def test_archive_counts_and_ranks_ignore_locked_pages(attacker, make_text_issue) -> None:
    """Two issues with the same free pages; one has the word on many locked pages too.
    Counts are equal and the order is by date alone, as if the locked pages did not exist."""
    from datetime import date

    free = ["Renault Clio.", "Sommaire."]
    make_text_issue(
        [*free, "Renault " * 50, "Renault Renault"], number=801, release_date=date(2021, 1, 1)
    )
    make_text_issue([*free, "Rien.", "Rien."], number=802, release_date=date(2022, 1, 1))
    for q in ('"renault clio"', "renau*"):
        html = _html(attacker, q)
        assert "2 pages" in html and "dans 2 numéros" in html, q
        assert html.index("N°802") < html.index("N°801"), q  # the newest first: a tie
        assert html.count("1 page trouvée") == 2 and MORE not in html, q


# --------------------------------------------------------------------------- the SQL itself


@pytest.fixture
def search_sql(app) -> Iterator[list[tuple[str, Any]]]:
    """Every statement sent to the database that reads the search index, with its
    parameters, as the engine receives them."""
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if "search_pages" in statement and not statement.lstrip().upper().startswith(
            ("INSERT", "DELETE")
        ):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_locked_pages_are_filtered_in_the_engine_not_after(
    client, secret_issue, search_sql
) -> None:
    """Replay the very statements the app sent for an anonymous reader: the engine itself
    returns no row of a locked page (so their text is never matched, ranked or timed)."""
    # (Not single words: for those the archive also asks yes or no, see the next test.)
    for q in ('"le ministre a annoncé"', "ministr*", "hakimi -renault", '"transfert record"'):
        search_sql.clear()
        client.get(f"/lire/challenge/{secret_issue.number}/recherche.json", query_string={"q": q})
        client.get("/recherche", query_string={"q": q})
        sent = list(search_sql)  # (the replay below is recorded too)
        assert sent, q
        for statement, parameters in sent:
            rows = db.session.connection().exec_driver_sql(statement, parameters).all()
            for row in rows:  # (only hits read the index here, with their page number)
                assert row._mapping["page_number"] in (1, 2), (q, statement, row)
        db.session.rollback()


def test_single_word_asks_the_locked_pages_yes_or_no_only(client, secret_issue, search_sql) -> None:
    client.get("/recherche", query_string={"q": "privatisation"})
    sent = list(search_sql)
    replies = [db.session.connection().exec_driver_sql(s, p).all() for s, p in sent]
    # The readable pages' search (nothing), then which issues have it further on: one id.
    assert [len(r) for r in replies] == [0, 1]
    assert list(replies[1][0]._mapping) == ["issue_id"]
    db.session.rollback()


# --------------------------------------------------------------------------- rate limit


@pytest.fixture
def limited(app, app_config) -> Iterator[Any]:
    """A client of an app with the search limit on (3 per minute) and empty counters.
    A second app on the same database: `app` is created before this fixture can change
    its config (make_text_issue needs it)."""
    from magazine_app import create_app

    config = dict(app_config, RATELIMIT_ENABLED=True, SEARCH_RATE_LIMIT="3 per minute")
    limited_app = create_app(config)
    limited_app.test_client_class = IsolatedClient
    limiter.reset()
    yield limited_app.test_client()
    limiter.reset()


def test_search_is_rate_limited_per_ip_and_per_reader(limited, make_user, secret_issue) -> None:
    client = limited
    url = f"/lire/challenge/{secret_issue.number}/recherche.json"
    codes = [client.get(url, query_string={"q": f"mot{i}"}).status_code for i in range(3)]
    assert codes == [200, 200, 200]
    assert client.get(url, query_string={"q": "ministr*"}).status_code == 429
    assert client.get("/recherche?q=ministre").status_code == 429  # one budget for both
    assert client.get(url + "?q=").status_code == 200  # the viewer's probe is not a query
    client.delete_cookie("mgz_reader")  # a fresh reader token does not help: same IP
    assert client.get(url, query_string={"q": "x"}).status_code == 429
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get(url, query_string={"q": "x"}, environ_base=elsewhere).status_code == 200

    # A logged-in reader with many addresses: the account's own budget holds.
    limiter.reset()
    user = make_user()
    AuthActions(client).login(user.email)
    codes = [
        client.get(
            url, query_string={"q": f"mot{i}"}, environ_base={"REMOTE_ADDR": f"198.51.100.{i}"}
        ).status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]
