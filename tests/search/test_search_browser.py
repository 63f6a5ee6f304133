"""Searching in the viewer, in a real headless Chromium: the hits are listed, and the
matching words are highlighted on the page image where recherche.json says they are."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.reader.conftest import poll, viewer_url, wait_for_view, wait_ready

pytestmark = pytest.mark.browser


def _marks_on_rects(page, number: int, rects: list[list[float]]) -> None:
    """Each highlight of page `number` covers its rectangle of the displayed image (to 2 px)."""
    leaf = page.locator(f'#sheet .leaf[data-page="{number}"]')
    marks = leaf.locator(".leaf__hit")
    expect(marks).to_have_count(len(rects))
    poll(
        page,
        f"() => document.querySelector('#sheet .leaf[data-page=\"{number}\"] img')"
        ".getBoundingClientRect().width > 0",
    )
    image = leaf.locator("img").first.bounding_box()
    for mark, (x0, y0, x1, y1) in zip(marks.all(), rects, strict=True):
        box = mark.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
        assert abs(box["x"] - (image["x"] + x0 * image["width"])) <= 2, (box, image, x0)
        assert abs(box["y"] - (image["y"] + y0 * image["height"])) <= 2, (box, image, y0)
        assert abs(box["x"] + box["width"] - (image["x"] + x1 * image["width"])) <= 2
        assert abs(box["y"] + box["height"] - (image["y"] + y1 * image["height"])) <= 2


def test_viewer_search_lists_hits_and_highlights_the_words(
    page, live_server, make_issue, client
) -> None:
    issue = make_issue(pages=4, preview_pages=4)
    answer = client.get(f"/lire/challenge/{issue.number}/recherche.json?q=renault").get_json()
    rects = {hit["page"]: hit["rects"] for hit in answer["hits"]}
    assert sorted(rects) == [1, 2, 3, 4] and all(rects.values())

    page.goto(live_server.url(viewer_url(issue, 1)))
    wait_ready(page)
    button = page.locator('[data-action="search"]')
    expect(button).to_be_visible()  # always there: every issue has its search
    button.click()
    page.fill("#search-q", "RENAULT")  # case and accents do not matter
    page.press("#search-q", "Enter")
    hits = page.locator(".vsearch__hits li")
    expect(hits).to_have_count(4)
    expect(hits.first.locator("mark").first).to_have_text("Renault")
    _marks_on_rects(page, 1, rects[1])
    expect(page.locator("#sheet .leaf__hit.is-current")).to_have_count(1)

    page.locator('[data-action="hit-next"]').click()  # the next hit opens its page
    wait_for_view(page, [2, 3])
    _marks_on_rects(page, 2, rects[2])
    _marks_on_rects(page, 3, rects[3])


def test_viewer_search_covers_the_free_pages_only(page, live_server, make_issue) -> None:
    issue = make_issue(pages=6, preview_pages=2)
    page.goto(live_server.url(viewer_url(issue, 1)))
    wait_ready(page)
    page.locator('[data-action="search"]').click()
    page.fill("#search-q", "hakimi")
    page.press("#search-q", "Enter")
    expect(page.locator(".vsearch__hits li")).to_have_count(2)  # pages 1 and 2 only
    # Pages 3 to 6 also say "Hakimi": the status does not count them, it says what any
    # query says to a preview reader.
    status = page.locator(".vsearch__status")
    expect(status).to_contain_text("2 résultat(s)")
    expect(status).to_contain_text("La recherche ne porte que sur les pages en accès libre")
    assert "autre" not in status.inner_text()
    assert page.locator('.leaf[data-page="3"] .leaf__hit').count() == 0
