"""The page-image gate attacked as a hostile visitor would: every byte of the cookie, the
path and the query is the attacker's. Judged by the bytes served or refused.

The reported bypass: the signature was md5(e + uri + token + " " + secret) with nothing
between uri and token, the server signed for any cookie value, and /img resolved dot
segments inside the storage root. So `mgz_reader=/../../manifest.jsonZ` got a signature
that also held for `<page path>/../../manifest.json` with `mgz_reader=Z`."""

from __future__ import annotations

import http.client
import json
import re
import shutil
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import pytest

from magazine_app import storage
from magazine_app.models import Page
from tests.reader.conftest import SIZES, assert_nothing_leaked, path_variants, secret_bytes

FORGED = "/../../manifest.jsonZ"


def pages_json(client, issue) -> dict:
    response = client.get(f"/lire/{issue.publication.slug}/{issue.number}/pages.json")
    assert response.status_code == 200
    return response.get_json()


def split(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path, parts.query


# --------------------------------------------------------------------------- tokens


def test_the_reported_attack_is_refused(client, make_issue) -> None:
    issue = make_issue(pages=8)
    secrets = secret_bytes(issue)
    client.set_cookie(storage.READER_COOKIE, FORGED)
    data = pages_json(client, issue)
    url = data["pages"][0]["screen"]["url"]
    # The server did not sign for the cookie it was sent: it issued its own token.
    issued = client.get_cookie(storage.READER_COOKIE).value
    assert issued != FORGED and storage.is_reader_token(issued)
    path, query = split(url)
    client.set_cookie(storage.READER_COOKIE, "Z")
    for target in (
        f"{path}/../../manifest.json",
        f"{path}/../../../../originals/{issue.source_sha256}.pdf",
    ):
        response = client.get(f"{target}?{query}")
        assert response.status_code in (403, 404)
        assert_nothing_leaked(response.data, secrets)


def test_a_well_formed_token_the_server_never_issued_gets_a_new_one(client, make_issue) -> None:
    issue = make_issue(pages=8)
    forged = "A" * storage.READER_TOKEN_LENGTH
    assert storage.is_reader_token(forged)
    client.set_cookie(storage.READER_COOKIE, forged)
    url = pages_json(client, issue)["pages"][0]["thumb"]["url"]
    issued = client.get_cookie(storage.READER_COOKIE).value
    assert issued != forged
    assert client.get(url).status_code == 200  # with the issued token
    client.set_cookie(storage.READER_COOKIE, forged)
    assert client.get(url).status_code == 403  # never signed for the forged one


def test_the_issued_token_is_stable_within_the_session(client, make_issue) -> None:
    issue = make_issue(pages=4)
    first = pages_json(client, issue)["pages"][0]["thumb"]["url"]
    token = client.get_cookie(storage.READER_COOKIE).value
    second = client.get(f"/lire/challenge/{issue.number}/pages.json")
    assert (
        "Set-Cookie" not in second.headers
        or storage.READER_COOKIE not in second.headers["Set-Cookie"]
    )
    assert second.get_json()["pages"][0]["thumb"]["url"] == first
    assert client.get_cookie(storage.READER_COOKIE).value == token


def test_a_token_copied_from_another_session_is_not_adopted(app, client, make_issue) -> None:
    """Another browser's (valid, issued) token sent as my cookie: my own session's token
    wins, so I cannot make the server sign URLs for someone else's browser."""
    issue = make_issue(pages=4)
    pages_json(client, issue)
    victim = client.get_cookie(storage.READER_COOKIE).value
    attacker = app.test_client()
    attacker.set_cookie(storage.READER_COOKIE, victim)
    url = pages_json(attacker, issue)["pages"][0]["thumb"]["url"]
    own = attacker.get_cookie(storage.READER_COOKIE).value
    assert own != victim
    assert client.get(url).status_code == 403  # the victim's browser cannot use it either


# --------------------------------------------------------------------------- paths


@pytest.fixture
def signed(client, make_issue):
    issue = make_issue(pages=8)
    data = pages_json(client, issue)
    path, query = split(data["pages"][0]["screen"]["url"])
    return issue, path, query, secret_bytes(issue)


def test_path_variants_are_refused_before_the_signature(client, signed) -> None:
    issue, path, query, secrets = signed
    assert client.get(f"{path}?{query}").status_code == 200
    for variant in path_variants(issue, path):
        response = client.get(f"{variant}?{query}")
        assert response.status_code in (400, 403, 404), variant
        assert_nothing_leaked(response.data, secrets)


def test_path_variants_over_a_real_socket(app, live_server, signed) -> None:
    """The same list sent byte for byte (no client-side normalisation) to a real server."""
    issue, path, query, secrets = signed
    # The live server is another client: sign for its own session first.
    conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    conn.request("GET", f"/lire/challenge/{issue.number}/pages.json")
    response = conn.getresponse()
    cookie = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie"):
        cookie.load(header)
    token = cookie[storage.READER_COOKIE].value
    session_cookie = cookie[app.config["SESSION_COOKIE_NAME"]].value
    url = json.loads(response.read())["pages"][0]["screen"]["url"]
    path, query = split(url)
    session_name = app.config["SESSION_COOKIE_NAME"]
    headers = {"Cookie": f"{storage.READER_COOKIE}={token}; {session_name}={session_cookie}"}
    conn.request("GET", f"{path}?{query}", headers=headers)
    ok = conn.getresponse()
    assert ok.status == 200 and ok.read()[:4] == b"RIFF"
    for variant in path_variants(issue, path):
        conn.request("GET", f"{variant}?{query}", headers=headers)
        response = conn.getresponse()
        body = response.read()
        assert response.status in (400, 403, 404), (variant, response.status)
        assert_nothing_leaked(body, secrets)
    conn.close()


def test_other_versions_files_are_not_served(client, signed) -> None:
    """A re-processed issue leaves (until swept) the old version's files: a signature of the
    current version's page does not open the old version's pages, at any size."""
    issue, path, query, _ = signed
    root = storage.issue_root(issue.id)
    shutil.copytree(root / issue.rendition_dir, root / "v2-old")
    old = path.replace(issue.rendition_dir, "v2-old")
    assert client.get(f"{old}?{query}").status_code == 403
    for size in SIZES:
        other = old.replace("/screen/", f"/{size}/")
        assert client.get(f"{other}?{query}").status_code == 403


@pytest.mark.parametrize(
    "spelling", ["0{e}", "+{e}", "{e}.0", " {e}", "{e} ", "{short}_{rest}", "{e}0"]
)
def test_expiry_must_be_the_exact_decimal_the_server_wrote(client, signed, spelling) -> None:
    _, path, query, _ = signed
    q = {k: v[0] for k, v in parse_qs(query).items()}
    e = q["e"]
    value = spelling.format(e=e, short=e[:3], rest=e[3:])
    response = client.get(path, query_string={"e": value, "s": q["s"]})
    assert response.status_code == 403


def test_signature_of_another_page_or_size_or_issue_does_not_open_it(client, make_issue) -> None:
    first = make_issue(pages=8)
    second = make_issue(pages=8)
    data = pages_json(client, first)
    path, query = split(data["pages"][0]["thumb"]["url"])
    for issue in (first, second):
        for page in issue.pages:
            for size in SIZES:
                rel = storage.rendition_relpath(
                    issue.id, issue.rendition_dir, page.renditions[size]["file"]
                )
                target = f"/img/{rel}"
                expected = 200 if target == path else 403
                assert client.get(f"{target}?{query}").status_code == expected, target


def test_accel_redirect_mode_refuses_the_same_list(app, client, signed) -> None:
    issue, path, query, secrets = signed
    app.config["IMAGE_ACCEL_REDIRECT"] = "/_protected/"
    assert (
        client.get(f"{path}?{query}")
        .headers["X-Accel-Redirect"]
        .endswith(path.removeprefix("/img"))
    )
    for variant in path_variants(issue, path):
        response = client.get(f"{variant}?{query}")
        assert response.status_code in (400, 403, 404), variant
        assert "X-Accel-Redirect" not in response.headers
        assert_nothing_leaked(response.data, secrets)


def test_signing_refuses_what_is_not_a_rendition(app) -> None:
    token = storage.new_reader_token()
    with app.test_request_context():
        for bad in (
            "issues/1/v1-test/manifest.json",
            "originals/abc.pdf",
            "issues/1/v1-test/screen/../manifest.json",
            "issues/1/v1-test/screen/0001-0123456789ab.webp/../../x",
        ):
            with pytest.raises(storage.StorageError):
                storage.sign_image_url(bad, token, 0)
        with pytest.raises(storage.StorageError):
            storage.sign_image_url("issues/1/v1-test/screen/0001-0123456789ab.webp", "Z", 0)


# --------------------------------------------------------------------------- other image paths


def test_cover_endpoint_serves_only_a_rendition(client, make_issue) -> None:
    from magazine_app.core.extensions import db

    issue = make_issue(pages=4)
    secrets = secret_bytes(issue)
    assert client.get(f"/lire/challenge/{issue.number}/couverture").status_code == 200
    page = db.session.get(Page, issue.pages[0].id)
    page.renditions = {
        **page.renditions,
        "screen": {**page.renditions["screen"], "file": "../manifest.json"},
    }
    db.session.commit()
    response = client.get(f"/lire/challenge/{issue.number}/couverture")
    assert response.status_code == 404
    assert_nothing_leaked(response.data, secrets)


def test_search_thumbnails_are_signed_for_the_issued_token_only(client, make_issue) -> None:
    issue = make_issue(pages=4)
    forged = "B" * storage.READER_TOKEN_LENGTH
    client.set_cookie(storage.READER_COOKIE, forged)
    html = client.get("/recherche", query_string={"q": "véhicules"}).get_data(as_text=True)
    urls = [u.replace("&amp;", "&") for u in re.findall(r'"(/img/issues/[^"\s]+)"', html)]
    assert urls, "the archive search shows thumbnails of readable hits"
    issued = client.get_cookie(storage.READER_COOKIE).value
    assert issued != forged
    for url in urls:
        assert client.get(url).status_code == 200
    client.set_cookie(storage.READER_COOKIE, forged)
    for url in urls:
        assert client.get(url).status_code == 403
    assert issue.id
