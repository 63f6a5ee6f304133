"""The viewer in a real headless Chromium: navigation, spreads, deep links, zoom, resume,
TOC, links, text mode, locked pages (judged by the network log) and the phone layout."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.reader.conftest import (
    browser_login,
    poll,
    rendition_files,
    settled,
    shown_pages,
    viewer_url,
    wait_for_view,
    wait_ready,
    wait_until,
)

pytestmark = pytest.mark.browser


def test_kiosk_to_issue_to_viewer(page, live_server, make_issue) -> None:
    issue = make_issue(pages=8, number=228)
    page.goto(live_server.url("/"))
    expect(
        page.get_by_role("link", name="Lire votre e-magazine du 11 février 2022")
    ).to_be_visible()
    page.get_by_role("link", name="Sommaire du numéro").first.click()
    page.wait_for_url(live_server.url(f"/lire/challenge/{issue.number}"))
    expect(page.get_by_role("heading", name="Sommaire")).to_be_visible()
    page.locator(".issuepage__actions").get_by_role("link", name="Lire votre e-magazine").click()
    page.wait_for_url(live_server.url(viewer_url(issue, 1)))
    img = page.locator('#sheet .leaf[data-page="1"] img')
    expect(img).to_have_attribute("alt", "Page 1")
    poll(page, "() => document.querySelector('#sheet img').naturalWidth > 0")
    assert "/img/issues/" in img.evaluate("i => i.currentSrc")


def test_keyboard_buttons_and_spread_pairing(page, live_server, make_issue, subscriber) -> None:
    issue = make_issue(pages=8)
    browser_login(page, live_server, subscriber.email)
    page.goto(live_server.url(viewer_url(issue, 1)))
    wait_ready(page)
    assert shown_pages(page) == [1]  # the cover stands alone
    page.keyboard.press("ArrowRight")
    wait_for_view(page, [2, 3])
    assert page.url.endswith(viewer_url(issue, 2))
    page.locator(".pager").get_by_role("button", name="Page suivante").click()
    wait_for_view(page, [4, 5])
    page.keyboard.press("PageDown")
    wait_for_view(page, [6, 7])
    page.keyboard.press("ArrowRight")
    wait_for_view(page, [8])  # a last even page stands alone
    expect(page.locator(".pager").get_by_role("button", name="Page suivante")).to_be_disabled()
    page.keyboard.press("ArrowLeft")
    wait_for_view(page, [6, 7])
    page.locator(".pager").get_by_role("button", name="Page précédente").click()
    wait_for_view(page, [4, 5])
    page.keyboard.press("Home")
    wait_for_view(page, [1])
    page.keyboard.press("End")
    wait_for_view(page, [8])
    expect(page.locator("#pager-input")).to_have_value("8")
    # Forced single page: one page at a time even on a wide screen.
    page.get_by_role("button", name="Double page").click()
    wait_for_view(page, [8])
    page.keyboard.press("ArrowLeft")
    wait_for_view(page, [7])
    # The page input takes a number (or a label).
    page.locator("#pager-input").fill("3")
    page.locator("#pager-input").press("Enter")
    wait_for_view(page, [3])
    assert page.url.endswith(viewer_url(issue, 3))


def test_deep_link_reload_and_history(page, live_server, make_issue, subscriber) -> None:
    issue = make_issue(pages=8)
    browser_login(page, live_server, subscriber.email)
    page.goto(live_server.url(viewer_url(issue, 5)))
    wait_ready(page)
    wait_for_view(page, [4, 5])
    expect(page.locator("#pager-input")).to_have_value("4-5")
    page.reload()
    wait_ready(page)
    wait_for_view(page, [4, 5])
    assert page.url.endswith(viewer_url(issue, 5))
    page.locator(".pager").get_by_role("button", name="Dernière page").click()
    wait_for_view(page, [8])
    page.go_back()
    wait_for_view(page, [4, 5])
    # Out of range: the last page.
    page.goto(live_server.url(viewer_url(issue, 99)))
    assert page.url.endswith(viewer_url(issue, 8))


def test_zoom_loads_the_high_resolution_rendition(new_page, live_server, make_issue) -> None:
    issue = make_issue(pages=8)
    zoom_files = {issue.pages[0].renditions["zoom"]["file"].rsplit("/", 1)[-1]}
    # Small enough that the screen rendition (400 px wide in tests) is the one for 1x.
    page = new_page(900, 560)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(live_server.url(viewer_url(issue, 1)))
    wait_ready(page)
    assert not any(f in url for f in zoom_files for url in requested)
    page.keyboard.press("+")
    poll(page, "() => document.querySelector('#sheet img').currentSrc.includes('/zoom/')")
    assert any(f in url for f in zoom_files for url in requested)
    transform = page.eval_on_selector("#sheet", "s => s.style.transform")
    assert "scale(1.5)" in transform
    expect(page.get_by_role("button", name="Dézoomer")).to_be_enabled()
    # Drag pans the zoomed page.
    box = page.locator("#stage").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 120, cy + 60, steps=6)
    page.mouse.up()
    assert page.eval_on_selector("#sheet", "s => s.style.transform") != transform
    page.keyboard.press("Escape")
    assert page.eval_on_selector("#sheet", "s => s.style.transform") == ""
    # Double-click zooms in at the point.
    page.mouse.dblclick(cx, cy)
    poll(page, "() => document.querySelector('#sheet').style.transform.includes('scale(2.5)')")


def test_resume_on_another_device(new_page, live_server, make_issue, subscriber) -> None:
    issue = make_issue(pages=8)
    laptop = new_page()
    browser_login(laptop, live_server, subscriber.email)
    laptop.goto(live_server.url(viewer_url(issue, 1)))
    wait_ready(laptop)
    with laptop.expect_response(lambda r: r.url.endswith("/position") and r.status == 200) as saved:
        laptop.keyboard.press("ArrowRight")
        laptop.keyboard.press("ArrowRight")
    assert json.loads(saved.value.request.post_data) == {"page": 4}

    phone = new_page(375, 740)
    browser_login(phone, live_server, subscriber.email)
    phone.goto(live_server.url(f"/lire/challenge/{issue.number}"))
    expect(phone.get_by_role("link", name="Continuer la lecture p. 4")).to_be_visible()
    phone.goto(live_server.url(viewer_url(issue, 1)))
    wait_ready(phone)
    toast = phone.locator("#resume-toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("4")
    toast.get_by_role("button", name="Reprendre la lecture").click()
    wait_for_view(phone, [4])
    assert phone.url.endswith(viewer_url(issue, 4))
    phone.goto(live_server.url("/"))
    expect(phone.get_by_role("heading", name="Continuer la lecture")).to_be_visible()


def test_toc_entry_jumps_to_its_page(page, live_server, make_issue, subscriber) -> None:
    issue = make_issue(pages=8)
    browser_login(page, live_server, subscriber.email)
    page.goto(live_server.url(viewer_url(issue, 1)))
    wait_ready(page)
    page.get_by_role("button", name="Sommaire").click()
    panel = page.locator("#panel")
    expect(panel).to_be_visible()
    panel.get_by_role("link", name="Article 6").click()
    wait_for_view(page, [6, 7])
    assert page.url.endswith(viewer_url(issue, 6))
    expect(panel.locator('a[aria-current="true"]')).to_contain_text("Article 6")
    # From the issue page, an entry opens the viewer at its page.
    page.goto(live_server.url(f"/lire/challenge/{issue.number}"))
    page.locator(".toc").get_by_role("link", name="Rubrique 5").click()
    page.wait_for_url(live_server.url(viewer_url(issue, 5)))
    wait_for_view(page, [4, 5])


def test_locked_pages_show_the_call_and_are_never_requested(page, live_server, make_issue) -> None:
    issue = make_issue(pages=8, preview_pages=3)
    locked = rendition_files(issue, [4, 5, 6, 7, 8])
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(live_server.url(viewer_url(issue, 5)))
    wait_ready(page)
    wait_for_view(page, [4, 5])
    card = page.locator('.leaf[data-page="5"] .lockcard')
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name="Je m'abonne")).to_be_visible()
    expect(card.get_by_role("link", name="J'ai déjà un compte")).to_be_visible()
    # Walk through the whole issue, open the thumbnails, zoom on a locked page, text mode.
    page.keyboard.press("Home")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    wait_for_view(page, [8])
    page.get_by_role("button", name="Vignettes des pages").click()
    expect(page.locator("#thumbs")).to_be_visible()
    page.get_by_role("button", name="Page 7 (abonnés)").click()
    wait_for_view(page, [6, 7])
    page.keyboard.press("+")
    page.get_by_role("button", name="Mode texte").click()
    expect(page.locator("#textview")).to_contain_text("réservé aux abonnés")
    settled(page)
    images = [u for u in requested if "/img/" in u]
    assert images, "the preview pages' images were requested"
    assert not [u for u in requested if any(name in u for name in locked)]
    assert not [u for u in requested if "/texte/4.json" in u or "/texte/7.json" in u]


def test_links_text_mode_and_alternatives(page, live_server, make_issue, subscriber) -> None:
    issue = make_issue(pages=8)
    browser_login(page, live_server, subscriber.email)
    page.goto(live_server.url(viewer_url(issue, 3)))
    wait_ready(page)
    external = page.locator('.leaf[data-page="3"] a.leaf__link[href^="https://"]')
    expect(external).to_have_attribute("target", "_blank")
    assert "noopener" in external.get_attribute("rel")
    # The page image is described by its text, for screen readers.
    poll(
        page, "() => (document.getElementById('alt-text-3') || {}).textContent?.includes('Page 3')"
    )
    internal = page.locator('.leaf[data-page="2"] a.leaf__link').first
    expect(internal).to_have_attribute("aria-label", "Aller à la page 8")
    internal.click()
    wait_for_view(page, [8])
    page.get_by_role("button", name="Mode texte").click()
    expect(page.locator("#textview")).to_contain_text("Article numéro 8")
    page.keyboard.press("Escape")
    expect(page.locator("#textview")).to_be_hidden()


def test_phone_layout_and_swipe(new_page, live_server, make_issue) -> None:
    issue = make_issue(pages=8)
    phone = new_page(375, 740, has_touch=True, is_mobile=True, device_scale_factor=2)
    phone.goto(live_server.url(viewer_url(issue, 1)))
    wait_ready(phone)
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    leaf = phone.locator('#sheet .leaf[data-page="1"]').bounding_box()
    assert leaf["width"] >= 340 and leaf["x"] >= 0 and leaf["x"] + leaf["width"] <= 375
    # Sharp on a 2x screen: the browser picked a large rendition, not the thumbnail.
    src = phone.eval_on_selector("#sheet img", "i => i.currentSrc")
    assert "/img/issues/" in src and "/thumb/" not in src
    for name in ("Page suivante", "Page précédente", "Sommaire", "Mode texte"):
        box = phone.locator(".vbar").get_by_role("button", name=name).first.bounding_box()
        assert box and box["width"] >= 44 and box["height"] >= 44, name
    # A swipe to the left turns the page (single page on a phone).
    cdp = phone.context.new_cdp_session(phone)
    y = leaf["y"] + leaf["height"] / 2

    def touch(kind: str, x: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 300)
    for x in (260, 200, 140, 90):
        touch("touchMove", x)
    touch("touchEnd", 90)
    wait_for_view(phone, [2])
    assert phone.url.endswith(viewer_url(issue, 2))
    # The panel covers the screen and closes with its button.
    phone.get_by_role("button", name="Sommaire").click()
    expect(phone.locator("#panel")).to_be_visible()
    phone.get_by_role("button", name="Fermer le panneau").click()
    expect(phone.locator("#panel")).to_be_hidden()


def test_search_box_needs_no_probe_and_events_are_batched(
    page, live_server, make_issue, app
) -> None:
    issue = make_issue(pages=8)
    app.config["VIEWER_EVENTS_INTERVAL"] = 1  # seconds between batches (30 in production)
    sent: list[dict] = []
    requested: list[str] = []

    def record(route) -> None:
        sent.append(json.loads(route.request.post_data))
        route.fulfill(status=204)

    def seconds_sent() -> dict[int, int]:
        seconds: dict[int, int] = {}
        for body in sent:
            for event in body["events"]:
                seconds[event["page"]] = seconds.get(event["page"], 0) + event["seconds"]
        return seconds

    page.on("request", lambda r: requested.append(r.url))
    page.route("**/evenements", record)
    page.goto(live_server.url(viewer_url(issue, 1)))
    wait_ready(page)
    expect(page.locator('[data-action="search"]')).to_be_visible()
    # A batch leaves every second, with the pages read for a second or more.
    wait_until(page, lambda: seconds_sent().get(1), "a batch with the time on page 1")
    page.keyboard.press("ArrowRight")
    wait_for_view(page, [2, 3])
    wait_until(
        page,
        lambda: seconds_sent().get(2) and seconds_sent().get(3),
        "a batch with the time on pages 2 and 3",
    )
    assert all(body["csrf_token"] for body in sent)
    for body in sent:
        for event in body["events"]:
            assert event["seconds"] >= 1
    # The in-issue search always exists: loading the viewer never asks whether it does.
    assert not [u for u in requested if "recherche.json" in u], requested
