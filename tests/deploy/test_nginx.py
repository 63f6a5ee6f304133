"""The shipped nginx config (deploy/nginx/magazine.conf.template), run for real: Debian's
nginx in front of the app, checking the signatures the app writes and sending page images
with no Python request, refusing what the app refuses."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from magazine_app import storage
from tests.conftest import CSRF_RE, TEST_PASSWORD, LiveServer
from tests.reader.conftest import assert_nothing_leaked, path_variants, secret_bytes
from tests.servers import NGINX_TEMPLATE, Nginx, RequestRecorder

# nginx in front of a live server, whose threads read the database through their own
# connections: what a test arranges is committed.
pytestmark = pytest.mark.commits


@pytest.fixture
def recorder(app) -> RequestRecorder:
    recorder = RequestRecorder(app.wsgi_app)
    app.wsgi_app = recorder  # type: ignore[method-assign]
    return recorder


@pytest.fixture
def nginx(app, recorder, tmp_path) -> Iterator[Nginx]:
    live = LiveServer(app)
    server = Nginx(
        tmp_path / "nginx",
        upstream=f"127.0.0.1:{live.port}",
        storage_root=app.config["STORAGE_ROOT"],
        secret=storage.image_secret(),
    )
    try:
        yield server
    finally:
        server.stop()
        live.stop()


def browser_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = "pytest-nginx"
    return session


def login(session: requests.Session, nginx: Nginx, email: str) -> None:
    form = session.get(nginx.url("/connexion"))
    token = CSRF_RE.search(form.text).group(1)  # type: ignore[union-attr]
    response = session.post(
        nginx.url("/connexion"),
        data={"email": email, "password": TEST_PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status_code == 302


def pages(session: requests.Session, nginx: Nginx, issue) -> dict:
    response = session.get(nginx.url(f"/lire/challenge/{issue.number}/pages.json"))
    assert response.status_code == 200
    return response.json()


def test_the_template_and_the_app_agree_on_what_a_rendition_path_is() -> None:
    text = NGINX_TEMPLATE.read_text()
    pattern = re.search(r'\$request_uri !~ "\^/img/(.+)\(\?:\\\?\|\$\)"', text)
    assert pattern, "the /img/ location checks the raw request against the rendition pattern"
    assert pattern.group(1) == storage.RENDITION_PATH
    assert '"$secure_link_expires|$uri|$cookie_mgz_reader|${MAGAZINE_IMAGE_URL_SECRET}"' in text


def test_subscriber_gets_every_page_from_nginx_with_no_python_request(
    app, nginx, recorder, make_issue, make_subscriber
) -> None:
    issue = make_issue(pages=6)
    make_subscriber("abonne@example.com")
    reader = browser_session()
    login(reader, nginx, "abonne@example.com")
    data = pages(reader, nginx, issue)
    assert data["access"]["level"] == "full"
    for page in data["pages"]:
        for size in ("thumb", "screen", "zoom"):
            response = reader.get(nginx.url(page[size]["url"]))
            assert response.status_code == 200, page[size]["url"]
            rel = urlsplit(page[size]["url"]).path.removeprefix("/img/")
            assert response.content == storage.resolve(rel).read_bytes()
            assert response.headers["Cache-Control"] == "private, max-age=600, immutable"
    assert response.headers["Content-Type"] in ("image/jpeg", "image/webp")
    assert recorder.image_requests() == []


def test_nginx_refuses_what_the_app_refuses(app, nginx, recorder, make_issue) -> None:
    issue = make_issue(pages=8)
    secrets = secret_bytes(issue)
    visitor = browser_session()
    data = pages(visitor, nginx, issue)
    url = data["pages"][0]["screen"]["url"]
    path, query = url.split("?", 1)
    assert visitor.get(nginx.url(url)).status_code == 200
    # Another browser: its own cookie, or none.
    other = browser_session()
    pages(other, nginx, issue)
    assert other.get(nginx.url(url)).status_code == 403
    assert requests.get(nginx.url(url), timeout=10).status_code == 403
    # Expired: signed in the past for this browser's token.
    token = visitor.cookies[storage.READER_COOKIE]
    with app.test_request_context():
        old = storage.sign_image_url(path.removeprefix("/img/"), token, time.time() - 3600)
    assert visitor.get(nginx.url(old)).status_code == 410
    # A locked page with the signature of a preview page.
    locked = issue.pages[6].renditions["zoom"]["file"]
    rel = storage.rendition_relpath(issue.id, issue.rendition_dir, locked)
    assert visitor.get(nginx.url(f"/img/{rel}?{query}")).status_code == 403
    # Other spellings of the expiry.
    e = re.search(r"e=(\d+)", query).group(1)  # type: ignore[union-attr]
    s = re.search(r"s=([^&]+)", query).group(1)  # type: ignore[union-attr]
    for spelling in (f"0{e}", f"+{e}", f"{e}.0"):
        assert visitor.get(nginx.url(f"{path}?e={spelling}&s={s}")).status_code == 403
    # The attack list, sent byte for byte (requests would normalise dot segments).
    cookie = f"{storage.READER_COOKIE}={token}"
    for variant in path_variants(issue, path):
        status, body = raw_get(nginx.port, f"{variant}?{query}", cookie)
        assert status in (400, 403, 404), (variant, status)
        assert_nothing_leaked(body, secrets)
    # The reported attack: a cookie chosen to move bytes into the path.
    attacker = browser_session()
    attacker.cookies.set(storage.READER_COOKIE, "/../../manifest.jsonZ")
    forged_url = pages(attacker, nginx, issue)["pages"][0]["screen"]["url"]
    fpath, fquery = forged_url.split("?", 1)
    status, body = raw_get(
        nginx.port, f"{fpath}/../../manifest.json?{fquery}", f"{storage.READER_COOKIE}=Z"
    )
    assert status in (400, 403, 404)
    assert_nothing_leaked(body, secrets)
    assert recorder.image_requests() == []


def raw_get(port: int, target: str, cookie: str) -> tuple[int, bytes]:
    """A request line sent exactly as written (no client normalises it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_slow_clients_do_not_stop_the_app_behind_nginx(app, nginx, make_issue) -> None:
    """The reported slowloris: 24 sockets trickling headers stopped gunicorn alone. nginx
    holds them; the app keeps answering everyone else."""
    make_issue(pages=4)
    slow = []
    for _ in range(48):
        sock = socket.create_connection(("127.0.0.1", nginx.port), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        slow.append(sock)
    try:
        for _ in range(2):
            for sock in slow:
                sock.sendall(b"X-Slow: 1\r\n")
            started = time.monotonic()
            response = requests.get(nginx.url("/"), timeout=5)
            assert response.status_code == 200
            assert time.monotonic() - started < 3
            time.sleep(0.5)
    finally:
        for sock in slow:
            sock.close()
