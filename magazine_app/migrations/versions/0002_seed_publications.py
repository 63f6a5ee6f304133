"""publications and plans every instance starts with

Revision ID: 0002_seed_publications
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_seed_publications"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

publications = sa.table(
    "publications",
    sa.column("id", sa.Integer),
    sa.column("slug", sa.String),
    sa.column("title", sa.String),
    sa.column("tagline", sa.String),
    sa.column("periodicity", sa.String),
    sa.column("position", sa.Integer),
)
plans = sa.table(
    "plans",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("description", sa.Text),
    sa.column("price_label", sa.String),
    sa.column("duration_months", sa.Integer),
    sa.column("includes_back_issues", sa.Boolean),
    sa.column("is_public", sa.Boolean),
    sa.column("position", sa.Integer),
)
plan_publications = sa.table(
    "plan_publications", sa.column("plan_id", sa.Integer), sa.column("publication_id", sa.Integer)
)

PUBLICATIONS = [
    (1, "challenge", "Challenge", "L'hebdo marocain des décideurs", "weekly", 1),
    (2, "challenge-auto", "Challenge Auto", "Le magazine automobile de Challenge", "quarterly", 2),
]
PLANS = [
    (
        1,
        "challenge-1an",
        "Challenge 1 an",
        "52 numéros de l'hebdo, et toutes les archives.",
        "",
        12,
        True,
        True,
        1,
        [1],
    ),
    (
        2,
        "challenge-auto-1an",
        "Challenge Auto 1 an",
        "4 numéros du trimestriel automobile, et ses archives.",
        "",
        12,
        True,
        True,
        2,
        [2],
    ),
    (
        3,
        "pack-challenge-auto",
        "Pack Challenge + Auto",
        "Les deux magazines et toutes leurs archives.",
        "",
        12,
        True,
        True,
        3,
        [1, 2],
    ),
    (
        4,
        "challenge-numeros-parus",
        "Challenge — numéros de la période",
        "Les numéros parus pendant l'abonnement, sans les archives.",
        "",
        12,
        False,
        False,
        4,
        [1],
    ),
]


def upgrade():
    conn = op.get_bind()
    conn.execute(
        publications.insert(),
        [
            dict(id=i, slug=s, title=t, tagline=g, periodicity=p, position=o)
            for i, s, t, g, p, o in PUBLICATIONS
        ],
    )
    conn.execute(
        plans.insert(),
        [
            dict(
                id=i,
                code=c,
                name=n,
                description=d,
                price_label=pr,
                duration_months=m,
                includes_back_issues=b,
                is_public=pub,
                position=o,
            )
            for i, c, n, d, pr, m, b, pub, o, _ in PLANS
        ],
    )
    conn.execute(
        plan_publications.insert(),
        [dict(plan_id=p[0], publication_id=pub) for p in PLANS for pub in p[-1]],
    )
    if conn.dialect.name == "postgresql":
        # Explicit ids were inserted: move the sequences past them.
        for table in ("publications", "plans"):
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )
            )


def downgrade():
    conn = op.get_bind()
    conn.execute(plan_publications.delete())
    conn.execute(plans.delete().where(plans.c.code.in_([p[1] for p in PLANS])))
    conn.execute(publications.delete().where(publications.c.slug.in_([p[1] for p in PUBLICATIONS])))
