"""The search page and the viewer's recherche.json over HTTP, judged by what is served:
no snippet, thumbnail or rectangle of a page the reader may not read."""

from __future__ import annotations

import re
from datetime import timedelta

from magazine_app import search
from magazine_app.core.extensions import db
from magazine_app.models import Role, utcnow

SECRET = "Hakimi signe un transfert record au Paris Saint-Germain"


def _secret_issue(make_issue, **kw):
    """A really ingested 8-page issue (preview: pages 1-3) whose page 5 holds SECRET."""
    issue = make_issue(pages=8, preview_pages=3, **kw)
    for page in issue.pages:
        page.text = f"Page {page.number} : la Bourse de Casablanca."
    issue.pages[4].text = SECRET
    issue.pages[0].text = "Couverture : Hakimi à la une."
    search.index_issue(issue)
    db.session.commit()
    return issue


def _thumb_file(issue, number: int) -> str:
    return issue.pages[number - 1].renditions["thumb"]["file"].split("/")[-1]


def test_search_page_lists_hits_with_snippets_and_thumbnails(client, make_issue) -> None:
    issue = _secret_issue(make_issue)
    html = client.get("/recherche?q=hakimi").get_data(as_text=True)
    assert f"N°{issue.number}" in html
    assert "<mark>Hakimi</mark> à la une" in html
    assert _thumb_file(issue, 1) in html  # readable page: its thumbnail, signed
    # page 5 is locked for an anonymous reader: one whole word may say "more for
    # subscribers", without its number or anything of the page
    assert "1 page trouvée" in html
    assert "Plus de résultats dans les pages réservées aux abonnés." in html
    assert "page 5" not in html.lower() and "pages 1, 5" not in html
    assert "transfert" not in html and "Saint-Germain" not in html
    assert _thumb_file(issue, 5) not in html
    # every image on the page is the cover or a readable page
    for src in re.findall(r'<img[^>]+src="([^"]+)"', html):
        assert "/thumb/0005" not in src


def test_subscriber_sees_the_snippet_of_every_page(
    client, auth, make_subscriber, make_issue
) -> None:
    issue = _secret_issue(make_issue)
    reader = make_subscriber()
    auth.login(reader.email)
    html = client.get("/recherche?q=transfert").get_data(as_text=True)
    assert "<mark>transfert</mark> record" in html
    assert _thumb_file(issue, 5) in html
    assert "réservées aux abonnés" not in html


def test_issue_search_json_respects_the_gate(client, auth, make_subscriber, make_issue) -> None:
    issue = _secret_issue(make_issue)
    url = f"/lire/challenge/{issue.number}/recherche.json"
    anonymous = client.get(url + "?q=hakimi")
    assert anonymous.status_code == 200
    assert anonymous.headers["Cache-Control"] == "private, no-store"
    data = anonymous.get_json()
    assert data["query"] == "hakimi"
    assert [h["page"] for h in data["hits"]] == [1]
    assert data["hits"][0]["rects"]  # from the page's word boxes (the PDF says "Hakimi")
    assert set(data) == {"query", "hits", "notice"}  # page 5 matches: not a word of it
    assert "pages en accès libre" in data["notice"]
    assert "transfert" not in anonymous.get_data(as_text=True)

    reader = make_subscriber()
    auth.login(reader.email)
    data = client.get(url + "?q=hakimi").get_json()
    assert [h["page"] for h in data["hits"]] == [1, 5] and data["notice"] is None
    assert "<mark>Hakimi</mark> signe un" in data["hits"][1]["snippet"]


def test_issue_search_json_rects_come_from_word_boxes(client, make_issue) -> None:
    issue = make_issue(pages=4, preview_pages=4)
    data = client.get(f"/lire/challenge/{issue.number}/recherche.json?q=Renault").get_json()
    assert [h["page"] for h in data["hits"]] == [1, 2, 3, 4]
    for hit in data["hits"]:
        assert set(hit) == {"page", "label", "snippet", "rects"}
        assert hit["rects"] and all(
            len(r) == 4 and 0 <= r[0] < r[2] <= 1 and 0 <= r[1] < r[3] <= 1 for r in hit["rects"]
        )
        assert "<mark>Renault</mark>" in hit["snippet"]


def test_issue_search_json_empty_bad_and_unknown(client, make_issue, make_text_issue) -> None:
    issue = make_issue(pages=3)
    url = f"/lire/challenge/{issue.number}/recherche.json"
    assert client.get(url + "?q=").get_json() == {"query": "", "hits": [], "notice": None}
    assert client.get(url).status_code == 200  # no query at all: an empty answer
    for q in ('"', "NEAR(", "*", "x" * 3000, "AND OR"):
        assert client.get(url, query_string={"q": q}).status_code == 200
    assert client.get("/lire/challenge/99999/recherche.json?q=x").status_code == 404
    draft = make_text_issue(["Renault"], number=4242, published=False)
    assert client.get(f"/lire/challenge/{draft.number}/recherche.json?q=x").status_code == 404


def test_unpublished_issues_never_appear_for_readers(
    client, auth, make_user, make_text_issue
) -> None:
    make_text_issue(["Peugeot brouillon"], number=4001, published=False)
    make_text_issue(["Peugeot demain"], number=4002, published=utcnow() + timedelta(days=1))
    make_text_issue(["Peugeot publié"], number=4003)
    html = client.get("/recherche?q=peugeot").get_data(as_text=True)
    assert "N°4003" in html and "N°4001" not in html and "N°4002" not in html
    staff = make_user(role=Role.STAFF)
    auth.login(staff.email)
    html = client.get("/recherche?q=peugeot").get_data(as_text=True)
    assert all(f"N°{n}" in html for n in (4001, 4002, 4003))


def test_filters_pagination_and_odd_input(client, make_text_issue) -> None:
    for n in range(1, 13):
        make_text_issue(["Dacia Logan"], number=n)
    first = client.get("/recherche?q=dacia").get_data(as_text=True)
    assert "12 pages" in first and "dans 12 numéros" in first
    assert 'rel="next"' in first and "page 1 sur 2" in first
    second = client.get("/recherche?q=dacia&page=2").get_data(as_text=True)
    assert second.count('class="result card"') == 2 and 'rel="prev"' in second
    assert client.get("/recherche?q=dacia&page=9").status_code == 404
    assert client.get("/recherche?q=dacia&publication=nope").status_code == 404
    auto = client.get("/recherche?q=dacia&publication=challenge-auto").get_data(as_text=True)
    assert "Aucun résultat" in auto
    assert "Aucun résultat" in client.get("/recherche?q=dacia&annee=1999").get_data(as_text=True)
    for q in ('"', "*", "NEAR(", "<script>alert(1)</script>", "x" * 3000, "le la"):
        response = client.get("/recherche", query_string={"q": q, "annee": "abc", "page": "-1"})
        assert response.status_code == 200, q
        assert "<script>alert" not in response.get_data(as_text=True)
    assert "seuls ses 200 premiers" in client.get("/recherche?q=" + "x" * 300).get_data(
        as_text=True
    )


def test_empty_search_page_and_masthead_field(client) -> None:
    html = client.get("/recherche").get_data(as_text=True)
    assert 'name="q"' in html and "Rechercher dans les archives" in html
    kiosk = client.get("/").get_data(as_text=True)
    assert 'class="sitesearch"' in kiosk and 'action="/recherche"' in kiosk
