"""Alembic helpers: a service's ``env.py`` is a few lines, and readiness checks the schema head.

``env.py`` calls :func:`run_env` with the service's metadata and database URL. The URL given to
:func:`upgrade` (tests, ``make migrate``) wins over the service settings, so one migration tree
serves PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from tefu_common.db import create_engine, is_sqlite, normalise_url


def alembic_config(alembic_ini: Path, database_url: str | None = None) -> Config:
    config = Config(str(alembic_ini))
    config.set_main_option("script_location", str(alembic_ini.parent / "migrations"))
    if database_url:
        config.attributes["database_url"] = normalise_url(database_url)
    return config


def upgrade(alembic_ini: Path, database_url: str, revision: str = "head") -> None:
    """Run the migrations of one service up to ``revision`` (synchronously).

    The migration environment runs its own event loop, so when called from async code the
    migrations run on a thread of their own.
    """
    config = alembic_config(alembic_ini, database_url)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(config, revision)
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(command.upgrade, config, revision).result()


def head_revisions(migrations_dir: Path) -> set[str]:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    return set(ScriptDirectory.from_config(config).get_heads())


async def current_revisions(connection: AsyncConnection) -> set[str]:
    def _read(sync: Connection) -> set[str]:
        if not inspect(sync).has_table("alembic_version"):
            return set()
        return {row[0] for row in sync.execute(text("SELECT version_num FROM alembic_version"))}

    return await connection.run_sync(_read)


def run_env(*, target_metadata: MetaData, default_url: str) -> None:
    """The body of a service's ``migrations/env.py``."""
    url = context.config.attributes.get("database_url") or normalise_url(default_url)

    def do_migrations(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things; batch mode recreates the table instead.
            render_as_batch=is_sqlite(url),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    async def run_online() -> None:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(do_migrations)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run_online())
