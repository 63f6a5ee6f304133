"""Hostile input gets a clear 400/404/413/422, never a 500: integers beyond the database's
range in URLs, out-of-range years, NaN and deep nesting in JSON bodies, chunked bodies
over the limit, and (property-based) any value in any public GET route's parameters.

The test app propagates exceptions: a 500 shows up here as the exception itself."""

from __future__ import annotations

import io
import json
import re
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from magazine_app.core.extensions import db
from magazine_app.models import PageStat, Purchase, ReadingPosition, Subscription
from tests.conftest import csrf_token

HUGE = "999999999999999999999999999999"
DEEP = "[" * 5000


@pytest.fixture
def issue(make_issue):
    return make_issue(pages=4, preview_pages=4)


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    "path",
    [
        f"/lire/challenge/{HUGE}",
        "/lire/challenge/2147483648",  # one past PostgreSQL's INTEGER
        f"/lire/challenge/{HUGE}/1",
        f"/lire/challenge/{HUGE}/pages.json",
        f"/lire/challenge/{HUGE}/texte/1.json",
        f"/lire/challenge/{HUGE}/couverture",
        f"/lire/challenge/{HUGE}/recherche.json?q=maroc",
        "/lire/challenge/١٢",  # Arabic-Indic digits are not a number in our URLs
    ],
)
def test_integers_beyond_the_database_range_are_404(client, issue, path) -> None:
    assert client.get(path).status_code == 404


def test_huge_page_numbers_of_a_real_issue_are_404(client, issue) -> None:
    base = f"/lire/challenge/{issue.number}"
    assert client.get(f"{base}/{HUGE}").status_code == 404
    assert client.get(f"{base}/texte/{HUGE}.json").status_code == 404
    token = csrf_token(client, "/")
    body = {"events": [{"page": 1, "seconds": 5}], "csrf_token": token}
    assert client.post(f"/lire/challenge/{HUGE}/evenements", json=body).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/lire/a%00b/1",
        "/lire/challenge%00/1/1",
        "/recherche?q=maroc&publication=%00",
        "/archives?publication=%00",
        "/archives?%00=1",
    ],
)
def test_nul_characters_in_urls_are_400(client, issue, url) -> None:
    assert client.get(url).status_code == 400


def test_year_filter_out_of_range_is_ignored_with_a_message(client, issue) -> None:
    response = client.get("/recherche?q=maroc&annee=99999&publication=challenge")
    assert response.status_code == 302
    assert response.headers["Location"] == "/recherche?q=maroc&publication=challenge"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Année 99999 hors limites : filtre ignoré." in page
    assert client.get("/recherche?q=maroc&annee=0").status_code == 302
    # Not a number at all: ignored, as before.
    assert client.get("/recherche?q=maroc&annee=²").status_code == 200
    assert client.get("/recherche?q=maroc&annee=2022").status_code == 200
    assert client.get("/archives?annee=²").status_code == 404
    assert client.get("/archives?annee=" + "9" * 5000).status_code == 404


# --------------------------------------------------------------------------- JSON bodies


def _events_url(issue) -> str:
    return f"/lire/challenge/{issue.number}/evenements"


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_seconds_are_refused(client, issue, value) -> None:
    token = csrf_token(client, "/")
    body = f'{{"events": [{{"page": 1, "seconds": {value}}}], "csrf_token": "{token}"}}'
    response = client.post(_events_url(issue), data=body, content_type="application/json")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(PageStat.id))) == 0


@pytest.mark.parametrize("body", [DEEP, '{"a":' * 3000, "[" * 40 + "]" * 40])
def test_deep_json_to_events_is_400(client, issue, body) -> None:
    response = client.post(_events_url(issue), data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "json_too_deep"


def test_deep_or_odd_json_to_position_is_refused(client, auth, make_user, issue) -> None:
    user = make_user("lectrice@example.com")
    auth.login(user.email)
    url = f"/lire/challenge/{issue.number}/position"
    token = csrf_token(client, "/")
    headers = {"X-CSRFToken": token}
    for body in ("[" * 600, "[1, 2]", '"page"', '{"page": NaN}', '{"page": true}', "{"):
        response = client.post(url, data=body, content_type="application/json", headers=headers)
        assert response.status_code in (400, 422), body[:20]
        assert response.get_json()["error"]["message"], body[:20]
    too_big = client.post(url, data=DEEP, content_type="application/json", headers=headers)
    assert too_big.status_code == 413
    assert db.session.scalar(select(func.count(ReadingPosition.id))) == 0
    ok = client.post(url, json={"page": 3}, headers=headers)
    assert ok.status_code == 200 and ok.get_json() == {"page": 3}


SUBSCRIPTION = {
    "email": "karim@example.com",
    "plan": "challenge-1an",
    "status": "active",
    "starts_on": "2026-01-01",
    "ends_on": "2026-12-31",
    "version": 1,
}
PURCHASE = {
    "email": "karim@example.com",
    "publication": "challenge",
    "number": 228,
    "billing_reference": "ch_1001",
}


def _api_calls(api, data: str, **kw):
    put = api.put(
        "/api/v1/subscriptions/ch_sub_1", data=data, content_type="application/json", **kw
    )
    post = api.post(
        "/api/v1/purchases",
        data=data,
        content_type="application/json",
        headers={"Idempotency-Key": "k1"},
        **kw,
    )
    return put, post


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (DEEP, 400, "json_too_deep"),
        ('{"version": NaN}', 400, "invalid_json"),
        ("[1]", 422, "validation_error"),
        ('"x"', 422, "validation_error"),
        ("{", 400, "invalid_json"),
    ],
)
def test_api_refuses_bad_json_clearly(api, make_issue_row, body, status, code) -> None:
    make_issue_row()
    for response in _api_calls(api, body):
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.get_json()["error"]["code"] == code
    assert db.session.scalar(select(func.count(Subscription.id))) == 0
    assert db.session.scalar(select(func.count(Purchase.id))) == 0


def _chunked(data: bytes) -> dict:
    """What a chunked request looks like to the app: no Content-Length, the server
    (gunicorn, werkzeug) de-chunks and marks the stream as terminated."""
    return {
        "input_stream": io.BytesIO(data),
        "environ_overrides": {
            "CONTENT_LENGTH": "",
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.input_terminated": True,
        },
    }


def test_api_chunked_body_over_the_limit_is_413(api, make_issue_row) -> None:
    make_issue_row()
    padded = json.dumps({**PURCHASE, "pad": "x" * 200_000})
    response = api.post(
        "/api/v1/purchases",
        content_type="application/json",
        headers={"Idempotency-Key": "big"},
        **_chunked(padded.encode()),
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert db.session.scalar(select(func.count(Purchase.id))) == 0
    # The same purchase, small and chunked, goes through.
    small = api.post(
        "/api/v1/purchases",
        content_type="application/json",
        headers={"Idempotency-Key": "small"},
        **_chunked(json.dumps(PURCHASE).encode()),
    )
    assert small.status_code == 201, small.get_json()


# --------------------------------------------------------------------------- property-based

# Query parameters the public views read, plus whatever else.
QUERY_KEYS = ["q", "page", "annee", "publication", "words", "next", "e", "s", "number"]
SKIPPED_PREFIXES = ("/api", "/redaction", "/static")

# Any Unicode but lone surrogates (not encodable), and a few values known to hurt: NUL
# (PostgreSQL refuses it in text), traversal, percent signs, markup.
texts = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.sampled_from(["\x00", "a\x00b", "../..", "%", "%00", "<script>", " ", "٣"]),
)
# Hypothesis favours small integers: the edges of the database's range are listed too.
EDGE_INTEGERS = [HUGE, "2147483647", "2147483648", "9223372036854775808", "-1", "0", "١٢"]
integers = st.one_of(
    st.sampled_from(EDGE_INTEGERS),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(-3, 12).map(str),
)


def _segment(kind: str, known: list[str]) -> st.SearchStrategy[str]:
    values = st.one_of(integers, texts, st.sampled_from(known))
    if kind == "path":  # slashes are part of a path value
        values = st.one_of(values, st.lists(texts, min_size=1, max_size=4).map("/".join))
    return values


def _public_get_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or ()) and not rule.rule.startswith(SKIPPED_PREFIXES):
            yield rule


PLACEHOLDER_RE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _url(rule: str, values: dict[str, str], params: dict[str, str]) -> str:
    """The rule with URL-quoted values in place of its `<converter:name>` parts."""
    path = PLACEHOLDER_RE.sub(lambda m: quote(values[m.group(2)], safe="/"), rule)
    return path + ("?" + urlencode(params) if params else "")


@pytest.mark.parametrize(("who", "examples"), [("anonymous", 30), ("subscriber", 12)])
def test_no_public_route_answers_5xx_whatever_its_parameters(
    app, client, auth, make_subscriber, issue, who, examples
) -> None:
    """Every public GET route, with generated path parameters (huge and negative integers,
    any Unicode, slashes) and query strings: never a server error, for a visitor and for
    a logged-in subscriber (whose pages read more: positions, entitlements)."""
    if who == "subscriber":
        user = make_subscriber("abonne@example.com")
        auth.login(user.email)
    known = ["challenge", str(issue.number), "1", "4", "5", "0"]
    rules = list(_public_get_rules(app))
    assert len(rules) > 10  # the kiosk, archives, issue pages, viewer, search, account...
    for rule in rules:
        segments = {name: _segment(_kind(rule.rule, name), known) for name in rule.arguments}
        _route_checker(client, rule.rule, segments, examples)()


def _route_checker(client, rule: str, segments: dict, examples: int) -> Any:
    query = st.dictionaries(st.one_of(st.sampled_from(QUERY_KEYS), texts), texts, max_size=4)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(values=st.fixed_dictionaries(segments), params=query)
    def check(values: dict[str, str], params: dict[str, str]) -> None:
        url = _url(rule, values, params)
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)

    return check


def _kind(rule: str, name: str) -> str:
    for match in PLACEHOLDER_RE.finditer(rule):
        if match.group(2) == name:
            return match.group(1) or "default"
    raise AssertionError(f"{name} not in {rule}")
