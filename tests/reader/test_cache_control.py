"""Nothing that depends on who is asking may be kept by a shared cache (nginx, a corporate
proxy) or left in a shared computer's browser cache: `private, no-store` on personal
pages and API answers; views that chose their own caching (page images, the public
cover, static files) keep it."""

from __future__ import annotations

from pathlib import Path

import pytest

import magazine_app
from tests.conftest import csrf_token

NO_STORE = "private, no-store"


@pytest.fixture
def issue(make_issue):
    return make_issue(pages=4, preview_pages=2)


@pytest.fixture
def reader(client, auth, make_subscriber):
    user = make_subscriber("abonnee@example.com")
    auth.login(user.email)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/compte",
        "/compte/abonnement",
        "/",  # the kiosk shows this reader's "continue reading"
        "/archives",
        "/lire/challenge/{n}",
        "/lire/challenge/{n}/1",
        "/lire/challenge/{n}/pages.json",
        "/lire/challenge/{n}/texte/1.json",
        "/lire/challenge/{n}/999",  # redirects and errors are personal too
    ],
)
def test_logged_in_pages_are_not_stored(reader, issue, path) -> None:
    response = reader.get(path.format(n=issue.number))
    assert response.headers.get("Cache-Control") == NO_STORE, response.status_code


def test_reading_position_answer_is_not_stored(reader, issue) -> None:
    token = csrf_token(reader, "/")
    response = reader.post(
        f"/lire/challenge/{issue.number}/position", json={"page": 2}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == NO_STORE


def test_staff_pages_are_not_stored(staff_client, issue) -> None:
    for path in ("/redaction/", f"/redaction/numeros/{issue.id}/statistiques"):
        response = staff_client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == NO_STORE, path


def test_api_answers_to_a_key_are_not_stored(api, make_user) -> None:
    make_user("karim@example.com")
    for path in (
        "/api/v1/subscribers?email=karim@example.com",
        "/api/v1/subscribers/nobody@example.com",
        "/api/v1/plans",
    ):
        response = api.get(path)
        assert response.headers["Cache-Control"] == NO_STORE, path


def test_password_reset_link_page_is_not_stored(client) -> None:
    response = client.get("/mot-de-passe/un-jeton-quelconque")
    assert response.headers["Cache-Control"] == NO_STORE


def test_anonymous_pages_with_a_session_are_private(client, issue) -> None:
    """A CSRF or reader token in the page: never for a shared cache, but the browser may
    keep it for back/forward navigation."""
    for path in ("/", "/connexion", f"/lire/challenge/{issue.number}"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "private, no-cache", path


def test_views_own_caching_is_kept(reader, client, issue) -> None:
    pages = reader.get(f"/lire/challenge/{issue.number}/pages.json").get_json()
    image = reader.get(pages["pages"][0]["thumb"]["url"])
    assert image.status_code == 200
    assert image.headers["Cache-Control"] == "private, max-age=600, immutable"  # IMAGE_URL_TTL
    reader.application.config["IMAGE_URL_TTL"] = 120
    pages = reader.get(f"/lire/challenge/{issue.number}/pages.json").get_json()
    image = reader.get(pages["pages"][0]["thumb"]["url"])
    assert image.headers["Cache-Control"] == "private, max-age=120, immutable"
    cover = client.get(f"/lire/challenge/{issue.number}/couverture")
    assert cover.headers["Cache-Control"] == "public, max-age=86400"
    stylesheet = min((Path(magazine_app.__file__).parent / "static" / "css").glob("*.css"))
    static = client.get(f"/static/css/{stylesheet.name}")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")
