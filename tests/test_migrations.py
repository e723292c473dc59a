"""Migrations build the schema from empty, match the models, and init-db is idempotent."""

from __future__ import annotations

import re

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, create_engine, inspect, select, text

from ivr.migrate import alembic_config
from models import Base

EXPECTED_TABLES = {"users", "api_tokens", "candidates", "calls", "call_events", "outcome_codes"}


def test_migrations_reach_head_from_empty(database_url):
    engine = create_engine(database_url)
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()

    with engine.connect() as conn:
        version = conn.scalar(text("SELECT version_num FROM alembic_version"))
        tables = set(inspect(conn).get_table_names())
    engine.dispose()

    assert version == head
    assert EXPECTED_TABLES <= tables


def test_models_match_the_migrated_schema(database_url):
    engine = create_engine(database_url)

    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()

    assert diff == []


def _allowed(sql: str) -> set[str]:
    """The quoted values of an IN check, however the database spells it back."""
    return set(re.findall(r"'([^']*)'", sql))


def test_the_migrated_checks_allow_what_the_models_enumerations_allow(database_url):
    declared = {
        str(constraint.name): _allowed(str(constraint.sqltext))
        for table in Base.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }
    engine = create_engine(database_url)

    with engine.connect() as conn:
        inspector = inspect(conn)
        migrated = {
            check["name"]: _allowed(check["sqltext"])
            for table in inspector.get_table_names()
            for check in inspector.get_check_constraints(table)
        }
    engine.dispose()

    assert migrated == declared


def test_downgrade_to_empty_and_back_up(database_url):
    config = alembic_config(database_url)

    command.downgrade(config, "base")
    engine = create_engine(database_url)
    with engine.connect() as conn:
        after_down = set(inspect(conn).get_table_names())
    engine.dispose()
    command.upgrade(config, "head")

    assert not (EXPECTED_TABLES & after_down)


def test_init_db_is_idempotent(app, session):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "newest schema" in second.output
    assert session.scalar(select(text("count(*)")).select_from(text("outcome_codes"))) == 9


def test_duplicate_hunt_positions_keep_their_ringing_order_when_made_unique(database_url):
    config = alembic_config(database_url)
    command.downgrade(config, "0004")
    engine = create_engine(database_url)
    with engine.begin() as conn:
        for email, order in (("b@example.com", 2), ("a@example.com", 1), ("c@example.com", 1)):
            conn.execute(
                text("INSERT INTO users (name, email, role, hunt_order, is_active, is_available, "
                     "created_at) VALUES ('x', :e, 'recruiter', :o, true, true, "
                     "CURRENT_TIMESTAMP)"),
                {"e": email, "o": order},
            )  # fmt: skip

    command.upgrade(config, "head")

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT email, hunt_order FROM users ORDER BY hunt_order")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("a@example.com", 1),
        ("c@example.com", 2),
        ("b@example.com", 3),
    ]
