"""Benchmark full-text search against a plain LIKE scan, on SQLite and PostgreSQL.

usage: python benchmarks/search.py [--issues 300] [--pages 48] [--runs 15]
                                   [--postgres postgresql://postgres@127.0.0.1/bench --wipe]

Builds an archive of ISSUES published issues of PAGES pages each in a fresh database
migrated with the real migrations (a temporary SQLite file; with --postgres, that database,
whose `public` schema is DROPPED: pass --wipe to agree). Each page mixes the text of a real
corpus page (../shared/corpus: Italian, English, German; re-indexed many times over) with
the French demo prose and, on a few pages, rare names, so that the index has a realistic
vocabulary. Pages are indexed with the same function as a processed upload.

Then, for a fixed set of queries, RUNS times each in shuffled order, it reports median and
p95 wall times of:
  * fts    the index alone: ids of the matching pages (backends.hits)
  * search what a reader waits for: search_archive, page 1, grouped by issue, with the gate
           and the snippets of the hits shown
  * like   a plain scan of the same pages table: text LIKE '%word%' (ILIKE on PostgreSQL,
           as case-insensitive as SQLite's LIKE), ids of the matching pages
Targets (issue): search p95 < 50 ms on SQLite for 300 issues; fts >= 20x faster than like.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, select, text

from magazine_app import create_app, search
from magazine_app.core.extensions import db
from magazine_app.models import Issue, IssueStatus, Page, utcnow
from magazine_app.search import backends

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MAGAZINE_SHARED_DIR", ROOT.parent / "shared"))
CORPUS = [
    "magazines/terra-dif-n02-2004.pdf",
    "magazines/fsm-issue11-free-matter-economy-5.pdf",
    "magazines/fsm-issue13-changing-the-ubuntu-look.pdf",
    "outlines/R-intro.pdf",
    "outlines/pdfjs-freeculture.pdf",
    "outlines/gnuplot-5.4-manual.pdf",
    "outlines/pypdf-GeoTopo-komprimiert.pdf",
]
RARE = ["Hakimi", "Bekkari", "Tachemi", "Chraibi", "Lions de l’Atlas", "norme Euro 6"]
QUERIES = [
    "Hakimi",  # rare name
    "véhicule",  # French stem, common in the auto prose
    "Euro 6",  # two words, one a number
    '"marché automobile"',  # phrase
    "renau*",  # prefix
    "Casablanca",  # common
    "croissance économique",
    '"interactive fiction"',  # Italian corpus
    "program*",  # frequent prefix (manuals)
    "Lessig",  # English corpus, one book
    "plot",  # very frequent in the gnuplot manual
    "transformation numérique",
]


def corpus_pages() -> list[str]:
    """Text of every page of the corpus PDFs (empty when ../shared is absent)."""
    try:
        import pymupdf
    except ImportError:
        return []
    pages: list[str] = []
    for rel in CORPUS:
        path = SHARED / "corpus" / rel
        if not path.exists():
            continue
        with pymupdf.open(path) as doc:
            texts = (p.get_text().replace("\x00", "") for p in doc)  # NUL: PostgreSQL refuses
            pages += [t for t in texts if len(t) > 200]
    return pages


def french_prose() -> list[str]:
    data = json.loads((ROOT / "magazine_app/demo/assets/content_fr.json").read_text("utf-8"))
    return [
        *data["business"],
        *data["auto"],
        *data["captions"],
        *data["briefs_228"],
        *data["briefs_auto_2"],
        *data["business_quotes"],
        *data["auto_quotes"],
    ]


def page_texts(n: int, rng: random.Random) -> list[str]:
    corpus, prose = corpus_pages(), french_prose()
    texts = []
    for _ in range(n):
        parts = rng.sample(prose, 2)
        if corpus:
            parts.append(rng.choice(corpus)[:2500])
        if rng.random() < 0.02:
            parts.insert(1, f"{rng.choice(RARE)} s’exprime en exclusivité.")
        texts.append("\n\n".join(parts))
    return texts


def build(url: str, issues: int, pages: int) -> float:
    """Fill the database; returns the indexing time in seconds."""
    rng = random.Random(228)
    pool = page_texts(2000, rng)
    now = utcnow()
    t_index = 0.0
    for i in range(issues):
        pub_id = 1 if i % 4 else 2
        release = date(2010, 1, 1) + timedelta(days=7 * i)
        row = db.session.execute(
            insert(Issue).returning(Issue.id),
            [
                {
                    "publication_id": pub_id,
                    "number": 1 + i,
                    "period_label": f"Semaine {i}",
                    "release_date": release,
                    "status": IssueStatus.READY,
                    "page_count": pages,
                    "preview_pages": 3,
                    "publish_at": now - timedelta(days=1),
                    "rendition_dir": "v",
                }
            ],
        ).scalar_one()
        db.session.execute(
            insert(Page),
            [
                {
                    "issue_id": row,
                    "number": n,
                    "label": str(n),
                    "text": rng.choice(pool),
                    "words": [],
                    "links": [],
                    "renditions": {},
                }
                for n in range(1, pages + 1)
            ],
        )
        started = time.perf_counter()
        search.index_issue(db.session.get(Issue, row))
        t_index += time.perf_counter() - started
        db.session.commit()
        db.session.expunge_all()
    return t_index


def like_word(q: str) -> str:
    return re.sub(r"[\"*«»]", "", q).split()[0]


def measure(fn: Callable[[], object], runs: list[float]) -> None:
    started = time.perf_counter()
    fn()
    runs.append((time.perf_counter() - started) * 1000)


def run(url: str, issues: int, pages: int, runs: int) -> dict[str, object]:
    tmp = tempfile.mkdtemp(prefix="bench-search-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": tmp,
            "STORAGE_ROOT": tmp,
            "SECRET_KEY": "benchmark-only-secret",
            "TESTING": True,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        if db.session.scalar(select(Issue.id).limit(1)) is None:
            t_index = build(url, issues, pages)
        else:  # --sqlite FILE kept from an earlier run
            t_index = float("nan")
            issues = db.session.scalar(text("SELECT count(*) FROM issues"))
        dialect = db.engine.dialect.name
        db.session.execute(text("ANALYZE"))  # fresh statistics, as autovacuum would give
        db.session.commit()
        backend = backends.for_session(db.session)
        op = "ILIKE" if dialect == "postgresql" else "LIKE"
        times: dict[str, dict[str, list[float]]] = {
            q: {"fts": [], "search": [], "like": []} for q in QUERIES
        }
        counts: dict[str, tuple[int, int]] = {}
        order = [q for q in QUERIES for _ in range(runs)]
        random.Random(6).shuffle(order)
        for q in QUERIES:  # warm caches once, and check both find something comparable
            parsed = search.parse(q)
            fts = len(db.session.execute(select(backend.hits(parsed).c.page_number)).all())
            like = len(
                db.session.execute(
                    text(f"SELECT id FROM pages WHERE text {op} :p"),  # noqa: S608
                    {"p": f"%{like_word(q)}%"},
                ).all()
            )
            counts[q] = (fts, like)
        like_sql = text(f"SELECT id FROM pages WHERE text {op} :p")  # noqa: S608
        for q in order:
            parsed, t, pattern = search.parse(q), times[q], f"%{like_word(q)}%"
            hits = backend.hits(parsed)
            fts = select(hits.c.issue_id, hits.c.page_number)
            measure(lambda s=fts: db.session.execute(s).all(), t["fts"])
            measure(lambda p=parsed: search.search_archive(p, None, utcnow()), t["search"])
            measure(lambda p=pattern: db.session.execute(like_sql, {"p": p}).all(), t["like"])
            db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    return {
        "dialect": dialect,
        "index_s": t_index,
        "times": times,
        "counts": counts,
        "issues": issues,
    }


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(result: dict, issues: int, pages: int) -> None:
    times, counts, issues = result["times"], result["counts"], result["issues"]
    total = issues * pages
    print(
        f"\n== {result['dialect']}: {issues} issues x {pages} pages = {total} pages; "
        f"indexing {result['index_s']:.1f} s ({total / result['index_s']:.0f} pages/s)"
    )
    print(
        f"{'query':<28}{'pages fts/like':>16}{'fts med':>9}{'p95':>7}{'search med':>12}"
        f"{'p95':>7}{'like med':>10}{'p95':>8}{'like/fts':>10}"
    )
    all_fts, all_search, all_like = [], [], []
    for q in QUERIES:
        t = times[q]
        all_fts += t["fts"]
        all_search += t["search"]
        all_like += t["like"]
        ratio = statistics.median(t["like"]) / max(statistics.median(t["fts"]), 1e-6)
        print(
            f"{q:<28}{counts[q][0]:>8}/{counts[q][1]:<7}"
            f"{statistics.median(t['fts']):>9.1f}{pct(t['fts'], 95):>7.1f}"
            f"{statistics.median(t['search']):>12.1f}{pct(t['search'], 95):>7.1f}"
            f"{statistics.median(t['like']):>10.1f}{pct(t['like'], 95):>8.1f}{ratio:>9.0f}x"
        )
    med_ratio = statistics.median(all_like) / statistics.median(all_fts)
    print(
        f"{'ALL (ms)':<28}{'':>16}{statistics.median(all_fts):>9.1f}{pct(all_fts, 95):>7.1f}"
        f"{statistics.median(all_search):>12.1f}{pct(all_search, 95):>7.1f}"
        f"{statistics.median(all_like):>10.1f}{pct(all_like, 95):>8.1f}{med_ratio:>9.0f}x"
    )
    print(
        f"like/fts: median {med_ratio:.0f}x, p95 {pct(all_like, 95) / pct(all_fts, 95):.0f}x; "
        f"like/search: median {statistics.median(all_like) / statistics.median(all_search):.0f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=300)
    parser.add_argument("--pages", type=int, default=48)
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each query")
    parser.add_argument("--postgres", help="also run on this PostgreSQL database (wiped)")
    parser.add_argument("--wipe", action="store_true", help="agree to wipe --postgres")
    parser.add_argument("--sqlite", help="SQLite file to build once and reuse (default: temp)")
    args = parser.parse_args()
    if not (SHARED / "corpus").exists():
        print(f"note: {SHARED / 'corpus'} is absent: pages use the French demo prose only")
    with tempfile.TemporaryDirectory(prefix="bench-search-db-") as tmp:
        path = args.sqlite or f"{tmp}/bench.db"
        result = run(f"sqlite:///{path}", args.issues, args.pages, args.runs)
        report(result, args.issues, args.pages)
    if args.postgres:
        if not args.wipe:
            sys.exit("--postgres wipes that database's public schema: add --wipe to agree")
        from magazine_app.core.config import normalise_database_url

        url = normalise_database_url(args.postgres)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        result = run(url, args.issues, args.pages, args.runs)
        report(result, args.issues, args.pages)


if __name__ == "__main__":
    main()
