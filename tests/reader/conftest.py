"""Fixtures of the reader tests (kiosk, archive, issue page, viewer, accessibility).

Import the ones a test module uses: `from tests.reader_fixtures import subscribe, ...`."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from magazine_app.models import Issue, Subscription, User
from tests.conftest import CHROMIUM_ARGS, IN_CI, TEST_PASSWORD  # noqa: F401

# The fixtures (a star import registers them in a test module without shadowing warnings).
__all__ = ["new_page", "subscriber"]

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"


@pytest.fixture
def subscriber(make_user: Callable[..., User], subscribe: Callable[..., Subscription]) -> User:
    user = make_user("abonnee@example.com")
    subscribe(user)
    return user


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
