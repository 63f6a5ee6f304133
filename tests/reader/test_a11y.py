"""axe-core (npm, injected by Playwright) on the reader's pages: no serious or critical
violation on the kiosk, the issue page, the viewer (preview, locked, panels) and login,
at desktop and phone widths."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.reader.conftest import axe_path, settled, viewer_url, wait_ready

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(axe_path()))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return [v for v in violations if v["impact"] in BLOCKING]


@pytest.mark.parametrize("width", [1280, 375])
def test_reader_pages_have_no_serious_violation(new_page, live_server, make_issue, width) -> None:
    axe_path()
    issue = make_issue(pages=8, preview_pages=3)
    # axe is injected as a script: this context lets it run despite the CSP.
    page = new_page(width, 900 if width > 500 else 740, bypass_csp=True)
    found: dict[str, list[dict[str, Any]]] = {}

    def check(name: str) -> None:
        found[name] = axe_violations(page)

    page.goto(live_server.url("/"))
    check("kiosk")
    page.goto(live_server.url("/archives"))
    check("archive")
    page.goto(live_server.url(f"/lire/challenge/{issue.number}"))
    check("issue page")
    page.goto(live_server.url(viewer_url(issue, 1)))
    wait_ready(page)
    check("viewer")
    page.goto(live_server.url(viewer_url(issue, 5)))
    wait_ready(page)
    check("viewer, locked page")
    page.get_by_role("button", name="Sommaire").click()
    check("viewer, table of contents")
    page.get_by_role("button", name="Fermer le panneau").click()
    page.get_by_role("button", name="Vignettes des pages").click()
    page.get_by_role("button", name="Mode texte").click()
    expect(page.locator("#textview")).to_contain_text("réservé aux abonnés")
    settled(page)
    check("viewer, thumbnails and text mode")
    page.goto(live_server.url("/connexion"))
    check("login")
    problems = {name: v for name, v in found.items() if v}
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
