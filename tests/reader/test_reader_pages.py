"""Kiosk, archive, issue page and viewer HTML over HTTP, and the domain functions behind
them (positions in progress, archive years and pages)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import event

from magazine_app.catalog import queries as catalog
from magazine_app.catalog import reading
from magazine_app.core.extensions import db
from magazine_app.models import utcnow
from tests.reader.conftest import viewer_url


def test_kiosk_shows_latest_issue_and_continue_reading(
    client, auth, make_issue, subscriber
) -> None:
    make_issue(number=227, release_date=date(2022, 2, 4))
    latest = make_issue(number=228, pages=8, release_date=date(2022, 2, 11))
    html = client.get("/").get_data(as_text=True)
    assert "N°228" in html and "N°227" not in html
    assert "Lire votre e-magazine du 11 février 2022" in html
    assert f'href="{viewer_url(latest, 1)}"' in html
    assert "Continuer la lecture" not in html
    assert re.search(r'<img class="cover" src="/img/issues/\d+/[^"]+/screen/', html)

    auth.login(subscriber.email)
    reading.save_position(subscriber, latest, 5)
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Continuer la lecture" in html
    assert f'href="{viewer_url(latest, 5)}"' in html
    assert "Reprendre à la page 5 sur 8" in html


def test_in_progress_skips_first_and_last_pages_and_unpublished(
    app, make_issue, subscriber
) -> None:
    a, b, c = make_issue(number=1), make_issue(number=2), make_issue(number=3)
    d = make_issue(number=4, published=False)
    for issue, page in ((a, 1), (b, 4), (c, 8), (d, 3)):
        reading.save_position(subscriber, issue, page)
    db.session.commit()
    started = reading.in_progress(subscriber, utcnow())
    assert [(p.issue.number, p.page) for p in started] == [(2, 4)]
    assert reading.saved_position(subscriber, b) == 4
    assert reading.saved_position(None, b) is None


def test_archive_years_pages_and_lazy_covers(app, client, make_issue, monkeypatch) -> None:
    for n, day in ((201, date(2021, 3, 1)), (202, date(2021, 6, 1)), (203, date(2021, 9, 1))):
        make_issue(number=n, release_date=day)
    make_issue(number=228, release_date=date(2022, 2, 11))
    make_issue(number=229, published=False, release_date=date(2022, 2, 18))
    pub = catalog.publication_by_slug("challenge")
    assert catalog.archive_years(pub, utcnow()) == [(2022, 1), (2021, 3)]

    html = client.get("/archives?publication=challenge").get_data(as_text=True)
    assert "N°228" in html and "N°201" not in html and "N°229" not in html
    assert 'loading="lazy"' in html
    monkeypatch.setattr(catalog, "ARCHIVE_PAGE_SIZE", 2)
    first = client.get("/archives?publication=challenge&annee=2021").get_data(as_text=True)
    assert "N°203" in first and "N°202" in first and "N°201" not in first
    assert "Page 1 sur 2" in first and 'rel="next"' in first
    second = client.get("/archives?publication=challenge&annee=2021&page=2").get_data(as_text=True)
    assert "N°201" in second and "N°203" not in second
    assert client.get("/archives?publication=challenge&annee=1990").status_code == 404
    assert client.get("/archives?publication=nope").status_code == 404


def test_archive_queries_do_not_grow_with_issues(app, client, make_issue) -> None:
    def count_queries() -> int:
        statements: list[str] = []

        def record(*args) -> None:
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert client.get("/archives?publication=challenge").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return len([s for s in statements if "pages" in s or "issues" in s])

    for n in range(1, 3):
        make_issue(number=n)
    few = count_queries()
    for n in range(3, 9):
        make_issue(number=n)
    assert count_queries() == few


def test_issue_page_open_graph_toc_and_resume(client, auth, make_issue, subscriber) -> None:
    issue = make_issue(pages=8, preview_pages=3)
    html = client.get(f"/lire/challenge/{issue.number}").get_data(as_text=True)
    og = re.search(r'<meta property="og:image" content="([^"]+)"', html)
    assert og and og.group(1).endswith(f"/lire/challenge/{issue.number}/couverture")
    assert '<meta property="og:title"' in html and "twitter:card" in html
    assert f'href="{viewer_url(issue, 6)}"' in html  # TOC entry "Article 6"
    assert "Je m&#39;abonne" in html or "Je m'abonne" in html
    # The cover is public for link previews (no reader cookie), cacheable.
    cover = client.application.test_client().get(f"/lire/challenge/{issue.number}/couverture")
    assert cover.status_code == 200 and cover.mimetype.startswith("image/")
    assert "public" in cover.headers["Cache-Control"]

    auth.login(subscriber.email)
    reading.save_position(subscriber, issue, 6)
    db.session.commit()
    html = client.get(f"/lire/challenge/{issue.number}").get_data(as_text=True)
    assert "Continuer la lecture" in html and f'href="{viewer_url(issue, 6)}"' in html
    assert "Lisez la suite" not in html  # subscribers get no offer


def test_unpublished_issue_has_no_viewer_nor_cover(client, make_issue) -> None:
    issue = make_issue(published=utcnow() + timedelta(days=1))
    assert client.get(viewer_url(issue, 1)).status_code == 404
    assert client.get(f"/lire/challenge/{issue.number}/couverture").status_code == 404


def test_viewer_html_carries_the_page_image_but_never_a_locked_one(client, make_issue) -> None:
    issue = make_issue(pages=8, preview_pages=3)
    response = client.get(viewer_url(issue, 2), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "no-store" in response.headers["Cache-Control"]
    html = client.get(viewer_url(issue, 2)).get_data(as_text=True)
    assert re.search(r'<img class="leaf__img" src="/img/issues/[^"]+/screen/0002-', html)
    assert 'srcset="/img/' in html and 'elementtiming="first-page"' in html
    assert '<meta name="csrf-token" content="' in html
    assert "<script>" not in html and " onclick=" not in html and ' style="' not in html

    locked = client.get(viewer_url(issue, 6)).get_data(as_text=True)
    assert "/img/issues/" not in locked
    assert 'src="data:image/jpeg;base64,' in locked
    assert "Page 6, réservée aux abonnés" in locked
    # Out of range pages redirect to the nearest real one.
    assert client.get(viewer_url(issue, 0)).headers["Location"].endswith(viewer_url(issue, 1))
    assert client.get(viewer_url(issue, 42)).headers["Location"].endswith(viewer_url(issue, 8))


def test_viewer_offers_the_saved_position(client, auth, make_issue, subscriber) -> None:
    issue = make_issue(pages=8)
    auth.login(subscriber.email)
    reading.save_position(subscriber, issue, 7)
    db.session.commit()
    html = client.get(viewer_url(issue, 1)).get_data(as_text=True)
    assert 'data-resume="7"' in html and "data-position-url=" in html
    assert 'data-resume="7"' not in client.get(viewer_url(issue, 7)).get_data(as_text=True)


def test_page_text_without_word_boxes(client, make_issue) -> None:
    issue = make_issue(pages=8)
    full = client.get(f"/lire/challenge/{issue.number}/texte/2.json").get_json()
    light = client.get(f"/lire/challenge/{issue.number}/texte/2.json?words=0").get_json()
    assert full["words"] and "words" not in light and light["text"] == full["text"]


def test_the_kiosk_and_archive_are_public_even_for_staff(
    client, auth, make_user, make_issue
) -> None:
    from magazine_app.models import Role

    make_issue(number=228, release_date=date(2022, 2, 11))
    make_issue(number=229, release_date=date(2022, 2, 18), published=False)
    staff = make_user(role=Role.STAFF)
    auth.login(staff.email)
    for url in ("/", "/archives?publication=challenge"):
        html = client.get(url).get_data(as_text=True)
        assert "N°228" in html and "N°229" not in html, url


def test_templates_ask_no_route_whether_it_exists(app, client, auth, make_user, make_issue) -> None:
    """Every blueprint is always registered: no `url_endpoints` in any template's context,
    and every page links to the routes it names."""
    from flask import render_template_string

    with app.test_request_context("/"):
        assert render_template_string("{{ url_endpoints is defined }}") == "False"
    issue = make_issue(pages=4)
    html = client.get(f"/lire/challenge/{issue.number}").get_data(as_text=True)
    assert f'href="{viewer_url(issue, 1)}"' in html and 'property="og:image"' in html
    assert 'action="/recherche"' in html
    auth.login(make_user().email)
    assert 'href="/compte/abonnement"' in client.get("/compte").get_data(as_text=True)
