"""Fixtures and helpers of the reader tests (kiosk, archive, issue page, viewer, gate,
accessibility): pytest finds the fixtures here; the helpers are imported by name."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from magazine_app import storage
from magazine_app.models import Issue, User
from tests.conftest import IN_CI, TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"


@pytest.fixture
def subscriber(make_subscriber: Callable[..., User]) -> User:
    return make_subscriber("abonnee@example.com")


def browser_login(page: Any, live_server: Any, email: str, password: str = TEST_PASSWORD) -> None:
    """Log in through the form, as a reader would."""
    page.goto(live_server.url("/connexion"))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert "/connexion" not in page.url, "login failed"


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Open pages in fresh browser contexts (another device of the same reader, a phone...)."""
    contexts: list[Any] = []

    def open_page(width: int = 1280, height: int = 900, **kw: Any) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="fr-FR", **kw
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def viewer_url(issue: Issue, page: int) -> str:
    return f"/lire/{issue.publication.slug}/{issue.number}/{page}"


def shown_pages(page: Any) -> list[int]:
    """The page numbers the viewer shows, left to right."""
    return page.eval_on_selector_all("#sheet .leaf", "els => els.map(e => Number(e.dataset.page))")


def poll(page: Any, expression: str, arg: Any = None, timeout: float = 10.0) -> Any:
    """Evaluate `expression` (a JS function of `arg`) until it returns something truthy.

    Not `page.wait_for_function`: its polling evaluates a string inside the page, which
    the site's CSP (no 'unsafe-eval') refuses as soon as the first check is false."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression} ({arg!r})")
        page.wait_for_timeout(50)


def wait_until(page: Any, check: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Let the page run (Playwright delivers its events: requests, routed calls) until
    `check()` is truthy; fails after `timeout` seconds, naming `what` was awaited."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(50)
    return value


def settled(page: Any) -> None:
    """Wait until the page has drawn what the last action changed (two animation frames):
    by then it has asked for every image and text that action made it want."""
    page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


def wait_for_view(page: Any, expected: list[int]) -> None:
    try:
        poll(
            page,
            "exp => JSON.stringify([...document.querySelectorAll('#sheet .leaf')]"
            ".map(e => Number(e.dataset.page))) === JSON.stringify(exp)",
            expected,
        )
    except AssertionError:
        raise AssertionError(f"the viewer shows {shown_pages(page)}, not {expected}") from None


def wait_ready(page: Any) -> None:
    """The viewer has its pages.json (thumbnails, spreads and TOC marks work)."""
    poll(page, "() => document.getElementById('viewer').dataset.payload === '1'")


def rendition_files(issue: Issue, numbers: list[int]) -> set[str]:
    """The file names of every rendition of these pages (to spot requests for them)."""
    names = set()
    for page in issue.pages:
        if page.number in numbers:
            for size in ("thumb", "screen", "zoom"):
                names.add(page.renditions[size]["file"].rsplit("/", 1)[-1])
    return names


def axe_path() -> Path:
    path = NODE_MODULES / "axe-core" / "axe.min.js"
    if not path.exists():
        if IN_CI or os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{path} is missing: run `npm ci` (make test does)")
        pytest.skip(f"{path} is missing: run `npm ci`")
    return path


# ------------------------------------------------ what the gate's attack tests share
# (tests/reader/test_gate_attacks.py, tests/deploy/test_nginx.py): the bytes that must
# never leave the server, and the list of path spellings to try.

SIZES = ("thumb", "screen", "zoom")


def secret_bytes(issue) -> dict[str, bytes]:
    """What must never leave the server: the manifest, the original, locked renditions."""
    version = storage.issue_root(issue.id) / issue.rendition_dir
    out = {
        "manifest": (version / "manifest.json").read_bytes(),
        "original": storage.original_path(issue.source_sha256).read_bytes(),
    }
    for page in issue.pages[3:]:
        for size in SIZES:
            rel = storage.rendition_relpath(
                issue.id, issue.rendition_dir, page.renditions[size]["file"]
            )
            out[f"{page.number}-{size}"] = storage.resolve(rel).read_bytes()
    return out


def assert_nothing_leaked(body: bytes, secrets: dict[str, bytes]) -> None:
    assert len(body) < 8000, "an error answer is a short page, not a file"
    for name, data in secrets.items():
        assert data[:64] not in body, f"{name} leaked"


def path_variants(issue, path: str) -> list[str]:
    head, _, name = path.rpartition("/")
    version_root = head.rsplit("/", 1)[0]  # /img/issues/<id>/<version>
    return [
        f"{path}/../../manifest.json",
        f"{version_root}/manifest.json",
        f"{head}/./{name}",
        f"{head}//{name}",
        f"{head}/%2e%2e/screen/{name}",
        f"{head}/%2E%2E/%2E%2E/manifest.json",
        f"{head}%2f..%2f..%2fmanifest.json",
        f"{head}%2F{name}",
        f"{head}/{name}%00",
        f"{path}/",
        f"{head}/{name[:-4]}%2ewebp",
        f"/img/originals/{issue.source_sha256}.pdf",
        f"/img/issues/{issue.id}/{issue.rendition_dir}/../../../originals/{issue.source_sha256}.pdf",
        "/img/../instance/secret_key",
        f"/img/staging/{issue.id}-x/manifest.json",
    ]
