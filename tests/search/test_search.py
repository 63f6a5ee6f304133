"""Full-text search as domain functions (no HTTP): matching rules, ranking, grouping,
filters, the gate, and keeping the index in step with issues. The same tests run on SQLite
FTS5 and on PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from magazine_app import search
from magazine_app.access import access_for
from magazine_app.core.extensions import db
from magazine_app.models import Role, utcnow
from magazine_app.search import Filters, highlight, text
from magazine_app.search.query import Matcher, parse

CARS = "Le marché marocain des véhicules d'occasion entame sa restructuration."
SHOUT = "LES VÉHICULES ÉLECTRIQUES ARRIVENT À CASABLANCA"
PLAIN = "Les vehicules hybrides: Renault et Dacia dominent les ventes."
OTHER = "La Bourse de Casablanca termine la semaine en hausse; Hakimi signe un retour."


def found(q: str, user=None, **filters) -> dict[int, list[int]]:
    """{issue number: [page numbers]} of an archive search, as this reader (default:
    anonymous) sees it: the preview pages only, so matching tests open every page."""
    results = search.search_archive(parse(q), user, utcnow(), Filters(**filters), per_page=100)
    return {r.issue.number: sorted(h.page for h in r.hits) for r in results.issues}


# --------------------------------------------------------------------------- matching


def test_accents_case_and_stemming(make_text_issue) -> None:
    make_text_issue([CARS, SHOUT, PLAIN, OTHER], number=1, preview_pages=4)
    for q in ("véhicule", "vehicule", "VÉHICULES", "Véhicules", "vehicules"):
        assert found(q) == {1: [1, 2, 3]}, q
    assert found("électrique") == {1: [2]}  # "ÉLECTRIQUES": plural, capitals, accent
    assert found("marocaine") == {1: [1]}  # stem of "marocain"
    assert found("velo") == {}


def test_all_words_must_match_and_exclusion(make_text_issue) -> None:
    make_text_issue([CARS, SHOUT, PLAIN, OTHER], number=1, preview_pages=4)
    assert found("véhicules Casablanca") == {1: [2]}
    assert found("casablanca -hakimi") == {1: [2]}
    assert found("Euro 6") == {}


def test_phrase_in_quotes(make_text_issue) -> None:
    make_text_issue(
        ["Le marché automobile reprend.", "Automobile : le marché attend.", "marchés automobiles"],
        number=1,
        preview_pages=3,
    )
    assert found('"marché automobile"') == {1: [1, 3]}  # stems: "marchés automobiles" too
    assert found("marché automobile") == {1: [1, 2, 3]}
    assert found("« marché automobile »") == {1: [1, 3]}  # French quotes work too


def test_prefix(make_text_issue) -> None:
    make_text_issue(
        ["Renault Clio", "La renaissance du souk", "Dacia Logan"], number=1, preview_pages=3
    )
    assert found("renau*") == {1: [1]}
    assert found("Rena*") == {1: [1, 2]}
    assert found("RENAULT") == {1: [1]}
    assert found('"renault cl*"') == {1: [1]}


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '""',
        '"unclosed phrase',
        "*",
        "**",
        "-",
        "--",
        "NOT",
        "AND OR NOT",
        "NEAR(a b)",
        "body:renault",
        "^renault",
        "renault AND",
        "(renault",
        "renault)",
        "{x}",
        "a:b:c",
        "'; DROP TABLE pages; --",
        "%",
        "_",
        "\\",
        "\x00",
        "ü\u0301",
        "😀",
        "e-mail@x.ma",
        "x" * 5000,
        "renault " * 100,
        "le la les de",
        "-renault",
    ],
)
def test_typed_queries_never_break(make_text_issue, q: str) -> None:
    issue = make_text_issue(["Renault et le marché", "Dacia"], number=1)
    results = search.search_archive(parse(q), None, utcnow())
    hits = search.search_issue(parse(q), issue, access_for(None, issue, utcnow()))
    assert results.total_issues in (0, 1)
    assert len(hits) <= 2


def test_empty_and_stop_word_queries_find_nothing(make_text_issue) -> None:
    make_text_issue(["Le marché et la Bourse"], number=1)
    for q in ("", "   ", "le", "le la de", "-marché"):
        assert parse(q).is_empty, q
        assert found(q) == {}, q


def test_long_query_is_cut_not_refused(make_text_issue) -> None:
    make_text_issue(["Renault"], number=1)
    query = parse("renault " + "zzz " * 300)
    assert len(query.raw) == search.MAX_QUERY_CHARS
    assert len(query.terms) <= 12


# --------------------------------------------------------------------------- ranking, grouping


def test_relevance_then_recency(make_text_issue) -> None:
    make_text_issue(["Hakimi en passant."], number=1, release_date=date(2021, 1, 1))
    make_text_issue(["Hakimi en passant."], number=2, release_date=date(2022, 6, 1))
    make_text_issue(
        ["Hakimi, Hakimi, encore Hakimi : Hakimi partout."],
        number=3,
        release_date=date(2020, 1, 1),
    )
    order = list(found("hakimi"))
    assert order == [3, 2, 1]  # most relevant, then the newest of two equal ones


def test_results_grouped_by_issue_and_paginated(make_text_issue) -> None:
    for n in range(1, 24):
        make_text_issue(["Euro 6 en page un", "rien", "Euro 6 encore"], number=n, preview_pages=3)
    first = search.search_archive(parse("euro"), None, utcnow(), page=1, per_page=10)
    third = search.search_archive(parse("euro"), None, utcnow(), page=3, per_page=10)
    assert (first.total_issues, first.total_hits, first.pages) == (23, 46, 3)
    assert len(first.issues) == 10 and len(third.issues) == 3
    assert [h.page for h in first.issues[0].hits] == [1, 3]
    seen = {
        r.issue.number
        for p in (1, 2, 3)
        for r in search.search_archive(parse("euro"), None, utcnow(), page=p, per_page=10).issues
    }
    assert seen == set(range(1, 24))


def test_filters_publication_and_year(make_text_issue) -> None:
    from magazine_app.catalog.queries import publication_by_slug

    make_text_issue(["Dacia Sandero"], number=1, release_date=date(2021, 3, 1))
    make_text_issue(["Dacia Duster"], number=2, release_date=date(2022, 3, 1))
    make_text_issue(["Dacia Jogger"], number=3, publication="challenge-auto")
    assert set(found("dacia")) == {1, 2, 3}
    assert set(found("dacia", year=2021)) == {1}
    auto = publication_by_slug("challenge-auto")
    assert set(found("dacia", publication=auto)) == {3}
    assert search.years(None, utcnow()) == [2022, 2021]


def test_unpublished_issues_only_for_staff(make_text_issue, make_user) -> None:
    make_text_issue(["Hakimi publié"], number=1)
    make_text_issue(["Hakimi brouillon"], number=2, published=False)
    make_text_issue(["Hakimi demain"], number=3, published=utcnow() + timedelta(days=1))
    reader = make_user()
    staff = make_user(role=Role.STAFF)
    assert set(found("hakimi")) == {1}
    assert set(found("hakimi", reader)) == {1}
    assert set(found("hakimi", staff)) == {1, 2, 3}
    make_text_issue(["Brouillon"], number=4, published=False, release_date=date(2019, 5, 1))
    assert search.years(None, utcnow()) == search.years(reader, utcnow()) == [2022]
    assert search.years(staff, utcnow()) == [2022, 2019]


def test_the_command_line_searches_as_staff(make_text_issue, runner) -> None:
    make_text_issue(["Hakimi publié"], number=1)
    make_text_issue(["Hakimi brouillon"], number=2, published=False)
    result = runner.invoke(args=["search", "query", "hakimi"])
    assert result.exit_code == 0, result.output
    assert "N°1: pages 1" in result.output and "N°2: pages 1" in result.output
    with pytest.raises(TypeError):  # a look-alike is not staff: only a typed viewer is
        search.search_archive(parse("hakimi"), _LooksLikeStaff(), utcnow())


class _LooksLikeStaff:
    is_authenticated = True
    is_staff = True


# --------------------------------------------------------------------------- the gate


def test_locked_pages_are_not_searched(make_text_issue, make_subscriber) -> None:
    """A preview reader's hits, counts and ranks come from the preview pages only; a
    single whole word may add "more for subscribers" (yes or no), nothing finer."""
    issue = make_text_issue(
        ["Couverture Hakimi", "Sommaire", "Page trois", "Hakimi transfert secret record"],
        number=1,
        preview_pages=2,
    )
    [anonymous] = search.search_archive(parse("hakimi"), None, utcnow()).issues
    assert [h.page for h in anonymous.hits] == [1] and anonymous.hit_count == 1
    assert "<mark>Hakimi</mark>" in anonymous.hits[0].snippet
    assert anonymous.more_for_subscribers  # one whole word: yes, there is more
    for q in ("hakim*", '"couverture hakimi"'):
        [result] = search.search_archive(parse(q), None, utcnow()).issues
        assert [h.page for h in result.hits] == [1] and not result.more_for_subscribers, q
    for q in ('"hakimi transfert"', "transf*", "hakimi transfert", "transfert"):
        results = search.search_archive(parse(q), None, utcnow())
        assert results.issues == [] and results.total_hits == 0, q
        assert results.more_for_subscribers_elsewhere is (q == "transfert"), q

    hits = search.search_issue(parse("hakimi"), issue, access_for(None, issue, utcnow()))
    assert [h.page for h in hits] == [1]
    assert search.search_issue(parse("transfert"), issue, access_for(None, issue, utcnow())) == []

    reader = make_subscriber()
    [full] = search.search_archive(parse("hakimi"), reader, utcnow()).issues
    assert [h.page for h in full.hits] == [1, 4] and not full.more_for_subscribers
    assert "transfert" in full.hits[1].snippet


# --------------------------------------------------------------------------- index upkeep


def test_reprocessing_and_removal_update_the_index(make_text_issue, runner) -> None:
    issue = make_text_issue(["Renault Clio", "Peugeot 208"], number=1)
    assert found("peugeot") == {1: [2]}
    issue.pages[1].text = "Citroën C3"
    search.index_issue(issue)
    db.session.commit()
    assert found("peugeot") == {} and found("citroen") == {1: [2]}

    search.remove_issue(issue.id)
    db.session.commit()
    assert found("renault") == {}

    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 2 pages of 1 issues" in result.output
    assert found("renault") == {1: [1]}

    result = runner.invoke(args=["search", "query", "citroën"])
    assert result.exit_code == 0 and "N°1: pages 2" in result.output


def test_deleting_an_issue_after_remove_issue(make_text_issue) -> None:
    issue = make_text_issue(["Renault"], number=1)
    search.remove_issue(issue.id)
    db.session.delete(issue)
    db.session.commit()
    make_text_issue(["Dacia"], number=2)  # may reuse the ids on SQLite
    assert found("renault") == {}
    assert found("dacia") == {2: [1]}


# --------------------------------------------------------------------------- pure functions


def test_folding_and_stems() -> None:
    assert text.fold("VÉHICULES") == "vehicules"
    assert text.fold("Œuvre") == "oeuvre"
    assert text.fold("Straße") == "strasse"
    assert text.words("d’occasion, Aït-Melloul") == ["d", "occasion", "ait", "melloul"]
    assert text.words("e\u0301te\u0301") == ["ete"]  # decomposed accents stay in the word
    assert {text.stem(w) for w in ("vehicule", "vehicules")} == {"vehicul"}
    assert text.index_text("Les Véhicules") == "le vehicul"


def test_snippet_marks_and_escapes() -> None:
    page = "Intro. " + "mot " * 40 + "<b>Renault</b> et le marché automobile. " + "fin " * 40
    snip = highlight.snippet(page, Matcher(parse('renault "marché automobile"')))
    assert "<mark>Renault</mark>" in snip
    assert "<mark>marché automobile</mark>" in snip
    assert "&lt;b&gt;" in snip and "<b>" not in snip
    assert snip.startswith("… ") and snip.endswith(" …")
    assert len(str(snip)) < 400


def test_rects_from_word_boxes() -> None:
    words = [
        [0.1, 0.1, 0.2, 0.12, "Les"],
        [0.21, 0.1, 0.41, 0.12, "véhicules,"],  # 10 characters, the comma is not marked
        [0.42, 0.1, 0.5, 0.12, "d’occasion"],
        [0.1, 0.2, 0.2, 0.22, "Renault"],
    ]
    assert highlight.rects(words, Matcher(parse("vehicule"))) == [[0.21, 0.1, 0.39, 0.12]]
    assert highlight.rects(words, Matcher(parse("renau*"))) == [[0.1, 0.2, 0.2, 0.22]]
    [rect] = highlight.rects(words, Matcher(parse("occasion")))
    assert rect[0] == pytest.approx(0.436) and rect[2] == 0.5
    assert len(highlight.rects(words, Matcher(parse('"véhicules d\'occasion"')))) == 2
