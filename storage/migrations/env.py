"""Alembic environment: runs on the connection okrbot hands it (see storage.db.upgrade)."""

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata
config = context.config

connection = config.attributes.get("connection")
if connection is None:
    import sqlalchemy as sa

    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
    connection = engine.connect()



def include_name(name, type_, parent_names):
    # slack_sdk creates and owns its installation tables (storage.db.slack_tables); autogenerate leaves them be.
    return not (type_ == "table" and name.startswith("slack_"))


context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                  compare_type=True, include_name=include_name)
with context.begin_transaction():
    context.run_migrations()
