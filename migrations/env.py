"""Alembic environment: the app's models and engine settings, online migrations only."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from ivr.config import load_settings
from ivr.db import make_engine
from models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

url = config.get_main_option("sqlalchemy.url") or load_settings().database_url
engine = make_engine(url)
try:
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a table (a CHECK, a NOT NULL) by copying it and dropping the old
            # one, which the rows pointing at it would refuse. Foreign keys are off while the
            # migrations run, set before a transaction begins (SQLite ignores the pragma in
            # one), and every reference is checked before the commit instead.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                if broken is not None:
                    raise RuntimeError(f"a row of {broken[0]} points at a missing {broken[2]} row")
finally:
    engine.dispose()
