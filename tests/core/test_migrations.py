"""The schema comes from the migrations, and the migrations match the models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from magazine_app import create_app
from magazine_app.core.extensions import db
from magazine_app.models import Plan, Publication
from magazine_app.search import include_object


def test_models_and_migrations_agree(app) -> None:
    """Fails when a model changes without a migration (or the other way round)."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "render_as_batch": True, "include_object": include_object},
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_data_migration_creates_publications_and_plans(app) -> None:
    slugs = {p.slug: p.title for p in db.session.scalars(select(Publication))}
    assert slugs == {"challenge": "Challenge", "challenge-auto": "Challenge Auto"}
    pack = db.session.scalar(select(Plan).where(Plan.code == "pack-challenge-auto"))
    assert {p.slug for p in pack.publications} == {"challenge", "challenge-auto"}


def test_upgrade_and_downgrade_on_empty_sqlite(tmp_path: Path) -> None:
    from flask_migrate import downgrade, upgrade

    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst"), "TESTING": True})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "issues", "pages", "subscriptions", "alembic_version"} <= tables
        assert db.session.scalar(select(Publication.slug).where(Publication.slug == "challenge"))
        db.session.remove()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()  # and back up again
        db.session.remove()
        db.engine.dispose()


def test_flask_db_upgrade_command_on_fresh_instance(tmp_path: Path) -> None:
    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst"), "TESTING": True})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "inst" / "magazine.db").exists()
    with app.app_context():
        assert db.session.scalar(
            select(Publication.slug).where(Publication.slug == "challenge-auto")
        )
        db.engine.dispose()
