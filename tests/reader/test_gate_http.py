"""The gate over HTTP, judged by the bytes actually served or refused."""

from __future__ import annotations

import time
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event

from magazine_app import storage
from magazine_app.core.extensions import db
from magazine_app.models import Role, SubscriptionStatus, utcnow

SIZES = ("thumb", "screen", "zoom")


def payload(client, issue):
    response = client.get(f"/lire/{issue.publication.slug}/{issue.number}/pages.json")
    return response


def fetch_all_images(client, pages_json) -> dict[int, dict[str, int]]:
    """{page: {size: status}} for every URL the viewer received."""
    result: dict[int, dict[str, int]] = {}
    for page in pages_json["pages"]:
        for size in SIZES:
            if size in page:
                result.setdefault(page["number"], {})[size] = client.get(
                    page[size]["url"]
                ).status_code
    return result


def real_bytes(app, issue, number: int, size: str) -> bytes:
    page = issue.pages[number - 1]
    rel = storage.rendition_relpath(issue.id, issue.rendition_dir, page.renditions[size]["file"])
    return storage.resolve(rel).read_bytes()


def test_anonymous_gets_preview_pages_only(app, client, make_issue) -> None:
    issue = make_issue(pages=8, preview_pages=3)
    data = payload(client, issue).get_json()
    assert data["access"]["level"] == "preview"
    unlocked = [p["number"] for p in data["pages"] if not p["locked"]]
    assert unlocked == [1, 2, 3]
    for p in data["pages"]:
        if p["locked"]:
            assert not any(k in p for k in (*SIZES, "links"))
            assert p["placeholder"].startswith("data:image/jpeg;base64,")
            assert len(p["placeholder"]) < 2000  # tiny and illegible
    served = fetch_all_images(client, data)
    assert served == {n: dict.fromkeys(SIZES, 200) for n in (1, 2, 3)}
    first = client.get(data["pages"][0]["screen"]["url"])
    assert first.data == real_bytes(app, issue, 1, "screen")
    assert first.headers["Cache-Control"].startswith("private")
    assert first.headers.get("ETag")
    # Text of a locked page is refused; of a preview page, given.
    base = f"/lire/challenge/{issue.number}/texte"
    assert client.get(f"{base}/2.json").status_code == 200
    assert client.get(f"{base}/5.json").status_code == 403


def test_subscriber_gets_every_page_at_every_size(
    app, client, auth, make_issue, make_subscriber
) -> None:
    issue = make_issue(pages=8)
    make_subscriber("abonne@example.com")
    auth.login("abonne@example.com")
    data = payload(client, issue).get_json()
    assert data["access"]["level"] == "full"
    served = fetch_all_images(client, data)
    assert served == {n: dict.fromkeys(SIZES, 200) for n in range(1, 9)}
    assert client.get(data["pages"][7]["zoom"]["url"]).data == real_bytes(app, issue, 8, "zoom")
    assert client.get(f"/lire/challenge/{issue.number}/texte/8.json").get_json()["text"]


@pytest.mark.parametrize(
    "situation", ["other_publication", "expired", "no_back_issues", "reader_without_plan"]
)
def test_refused_readers_get_preview_only(
    client, auth, make_issue, make_user, make_subscriber, situation
) -> None:
    issue = make_issue(pages=6, release_date=date(2020, 1, 10))
    if situation == "other_publication":
        make_subscriber("x@example.com", "challenge-auto-1an")
    elif situation == "expired":
        make_subscriber("x@example.com", status=SubscriptionStatus.EXPIRED)
    elif situation == "no_back_issues":
        make_subscriber("x@example.com", "challenge-numeros-parus")  # the issue is from 2020
    else:
        make_user("x@example.com")
    auth.login("x@example.com")
    data = payload(client, issue).get_json()
    assert data["access"]["level"] == "preview"
    assert [p["number"] for p in data["pages"] if not p["locked"]] == [1, 2, 3]


@pytest.mark.parametrize("when", ["unpublished", "scheduled"])
def test_unpublished_or_scheduled_issue_is_invisible(
    client, auth, make_issue, make_subscriber, when
) -> None:
    publish = False if when == "unpublished" else utcnow() + timedelta(days=1)
    issue = make_issue(published=publish)
    make_subscriber("s@example.com")
    auth.login("s@example.com")
    for url in (
        f"/lire/challenge/{issue.number}",
        f"/lire/challenge/{issue.number}/pages.json",
        f"/lire/challenge/{issue.number}/texte/1.json",
    ):
        assert client.get(url).status_code == 404


def test_staff_reads_unpublished_issue(client, auth, make_issue, make_user) -> None:
    issue = make_issue(published=False)
    make_user("staff@example.com", role=Role.STAFF)
    auth.login("staff@example.com")
    data = payload(client, issue).get_json()
    assert all(not p["locked"] for p in data["pages"])


def _signed(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_tampered_expired_and_foreign_urls_refused(app, client, make_issue) -> None:
    issue = make_issue(pages=8)
    data = payload(client, issue).get_json()
    url = data["pages"][0]["screen"]["url"]
    path, q = _signed(url)
    assert client.get(url).status_code == 200
    # Tampered signature, missing signature, other expiry
    assert client.get(f"{path}?e={q['e']}&s={q['s'][:-2]}xx").status_code == 403
    assert client.get(path).status_code == 403
    assert client.get(f"{path}?e={int(q['e']) + 3600}&s={q['s']}").status_code == 403
    # Changing page or size in the URL gains nothing: the signature covers the path.
    locked_page = issue.pages[6]
    for size in SIZES:
        rel = storage.rendition_relpath(
            issue.id, issue.rendition_dir, locked_page.renditions[size]["file"]
        )
        assert client.get(f"/img/{rel}?e={q['e']}&s={q['s']}").status_code == 403
    zoom_of_page1 = issue.pages[0].renditions["zoom"]["file"]
    rel = storage.rendition_relpath(issue.id, issue.rendition_dir, zoom_of_page1)
    assert client.get(f"/img/{rel}?e={q['e']}&s={q['s']}").status_code == 403
    # Another browser (no reader cookie, or its own) cannot use the URL.
    other = app.test_client()
    assert other.get(url).status_code == 403
    payload(other, issue)  # gets its own token
    assert other.get(url).status_code == 403
    # Expired: a URL signed in the past.
    with app.test_request_context():
        token = client.get_cookie(storage.READER_COOKIE).value
        old = storage.sign_image_url(path.removeprefix("/img/"), token, time.time() - 3600)
    assert client.get(old).status_code == 410


def test_traversal_refused(client, make_issue) -> None:
    make_issue()
    for bad in (
        "/img/../instance/secret_key",
        "/img/%2e%2e/%2e%2e/etc/passwd",
        "/img/originals/x.pdf",
    ):
        assert client.get(bad).status_code in (403, 404)


def _nginx_signature(expires: str, uri: str, token: str, secret: str) -> str:
    """base64url(md5("expires|uri|token|secret")) without padding: nginx's secure_link_md5."""
    import base64
    import hashlib

    digest = hashlib.md5(f"{expires}|{uri}|{token}|{secret}".encode()).digest()  # noqa: S324
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_a_validly_signed_traversal_is_refused_by_the_shape_check(
    client, make_issue, monkeypatch
) -> None:
    """The unsigned attempts above stop at the signature. Signed exactly as the server
    signs (this browser's token, a live expiry, the real secret), a path that walks out
    of its rendition folder is still refused: by the rendition-shape check, before the
    file lookup (storage.resolve) is even reached."""
    issue = make_issue()
    url = payload(client, issue).get_json()["pages"][0]["thumb"]["url"]
    path, q = _signed(url)
    token = client.get_cookie(storage.READER_COOKIE).value
    secret = storage.image_secret()
    assert _nginx_signature(q["e"], path, token, secret) == q["s"]  # we sign as the server

    looked_up: list[str] = []
    resolve = storage.resolve
    monkeypatch.setattr(storage, "resolve", lambda rel: looked_up.append(rel) or resolve(rel))
    assert client.get(url).status_code == 200 and looked_up  # a real image is looked up

    version = f"/img/issues/{issue.id}/{issue.rendition_dir}"
    original = f"originals/{issue.source_sha256}.pdf"
    for forged in (
        f"{path}/../../manifest.json",
        f"{version}/thumb/../manifest.json",
        f"{version}/manifest.json",
        f"{version}/thumb/../../../../{original}",
        f"/img/{original}",
        "/img/../instance/secret_key",
        f"/img/issues/{issue.id}/../../{original}",
    ):
        assert not storage.is_rendition_path(forged.removeprefix("/img/")), forged
        signature = _nginx_signature(q["e"], forged, token, secret)
        problem = storage.check_image_signature(forged, q["e"], signature, token, time.time())
        assert problem == "not_a_rendition", forged
        looked_up.clear()
        response = client.get(f"{forged}?e={q['e']}&s={signature}")
        assert response.status_code == 404, forged
        assert looked_up == [], f"{forged} reached storage.resolve"


def test_image_endpoint_does_not_query_the_database(app, client, make_issue) -> None:
    issue = make_issue()
    url = payload(client, issue).get_json()["pages"][0]["thumb"]["url"]
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []


def test_revoked_subscription_stops_new_urls_at_once(
    client, auth, make_issue, make_subscriber
) -> None:
    issue = make_issue(pages=8)
    (sub,) = make_subscriber("r@example.com").subscriptions
    auth.login("r@example.com")
    before = payload(client, issue).get_json()
    assert not before["pages"][6]["locked"]
    old_url = before["pages"][6]["screen"]["url"]
    sub.status = SubscriptionStatus.EXPIRED
    db.session.commit()
    after = payload(client, issue).get_json()
    assert after["pages"][6]["locked"] and "screen" not in after["pages"][6]
    # An already-issued URL lives only until its (short) expiry.
    _, q = _signed(old_url)
    assert int(q["e"]) - time.time() <= 15 * 60


def test_accel_redirect_hands_the_file_to_nginx(app, client, make_issue) -> None:
    issue = make_issue()
    app.config["IMAGE_ACCEL_REDIRECT"] = "/_protected/"
    url = payload(client, issue).get_json()["pages"][0]["screen"]["url"]
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["X-Accel-Redirect"].startswith("/_protected/issues/")


def test_image_rate_limit_slows_a_scraper(app_config, make_issue) -> None:
    from magazine_app import create_app
    from magazine_app.core.extensions import limiter

    app_config["RATELIMIT_ENABLED"] = True
    app_config["IMAGE_RATE_LIMIT"] = "5 per minute"
    limited = create_app(app_config)
    limiter.reset()
    client = limited.test_client()
    issue = make_issue()
    with limited.app_context():
        url = client.get(f"/lire/challenge/{issue.number}/pages.json").get_json()["pages"][0][
            "thumb"
        ]["url"]
        codes = [client.get(url).status_code for _ in range(7)]
    limiter.reset()
    assert codes[:5] == [200] * 5 and codes[5] == 429


def test_nginx_secure_link_construction(app, client, make_issue, runner) -> None:
    """Recompute a URL's signature the way nginx's secure_link_md5 does, from the
    secret `flask images secret` prints: the README's nginx block would accept it."""
    import base64
    import hashlib

    issue = make_issue()
    url = payload(client, issue).get_json()["pages"][0]["screen"]["url"]
    path, q = _signed(url)
    token = client.get_cookie(storage.READER_COOKIE).value
    secret = runner.invoke(args=["images", "secret"]).output.strip()
    md5 = hashlib.md5(f"{q['e']}|{path}|{token}|{secret}".encode()).digest()  # noqa: S324
    assert base64.urlsafe_b64encode(md5).rstrip(b"=").decode() == q["s"]


def test_login_and_logout_give_the_browser_a_new_reader_token(
    client, auth, make_issue, make_user
) -> None:
    """URLs signed for one session stop working in the same browser after login/logout."""
    issue = make_issue()
    make_user("t@example.com")
    url = payload(client, issue).get_json()["pages"][0]["thumb"]["url"]
    before = client.get_cookie(storage.READER_COOKIE).value
    auth.login("t@example.com")
    after_login = client.get_cookie(storage.READER_COOKIE).value
    assert after_login != before
    assert client.get(url).status_code == 403
    auth.logout()
    assert client.get_cookie(storage.READER_COOKIE).value not in (before, after_login)


def test_image_limit_per_address_holds_when_the_cookie_changes(app_config, make_issue) -> None:
    """A scraper that starts a new session (a new reader token) every few pages still
    meets the per-address limit: the two limits are separate."""
    from magazine_app import create_app
    from magazine_app.core.extensions import limiter

    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_STORAGE_URI"] = "memory://"
    app_config["IMAGE_RATE_LIMIT"] = "100 per minute"
    app_config["IMAGE_IP_RATE_LIMIT"] = "5 per minute"
    limited = create_app(app_config)
    limiter.reset()
    issue = make_issue()
    codes = []
    db.session.commit()
    # No app context of `limited` around the requests: each gets its own, as in a server.
    for _ in range(3):  # three browsers' worth of sessions, one address
        scraper = limited.test_client()
        pages = scraper.get(f"/lire/challenge/{issue.number}/pages.json").get_json()["pages"]
        codes += [scraper.get(p["thumb"]["url"]).status_code for p in pages[:2]]
    limiter.reset()
    assert codes == [200] * 5 + [429]
