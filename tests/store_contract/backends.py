"""Fresh, isolated databases for each test on SQLite, PostgreSQL and MariaDB/MySQL.

PostgreSQL tests get their own schema (through ``search_path``) and MySQL tests their own
database, dropped afterwards. When a server is unreachable the tests skip with the reason, unless
``RUNYARD_REQUIRE_DATABASES=1`` (set by .ci/run), where they fail instead.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest

POSTGRES_URI = os.environ.get("RUNYARD_TEST_POSTGRES_URI", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URI = os.environ.get("RUNYARD_TEST_MYSQL_URI", "mysql://root@127.0.0.1:3306/test")
BACKENDS = ("sqlite", "postgresql", "mysql")


def _unavailable(what: str, exc: BaseException) -> None:
    reason = f"{what} is not reachable ({type(exc).__name__}: {exc})"
    if os.environ.get("RUNYARD_REQUIRE_DATABASES") == "1":
        pytest.fail(reason + "; RUNYARD_REQUIRE_DATABASES=1 makes it mandatory", pytrace=False)
    pytest.skip(reason)


@contextmanager
def postgres_uri() -> Iterator[str]:
    import psycopg

    base = POSTGRES_URI.replace("postgresql://", "postgresql://", 1)
    schema = "t_" + uuid.uuid4().hex[:16]
    try:
        admin = psycopg.connect(base.split("?", 1)[0], autocommit=True, connect_timeout=5)
    except Exception as exc:  # noqa: BLE001
        _unavailable(f"PostgreSQL at {POSTGRES_URI}", exc)
    try:
        admin.execute(f"CREATE SCHEMA {schema}")
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.close()


@contextmanager
def mysql_uri() -> Iterator[str]:
    import pymysql

    from sqlalchemy.engine import make_url

    url = make_url(MYSQL_URI)
    database = "t_" + uuid.uuid4().hex[:16]
    try:
        admin = pymysql.connect(host=url.host, port=url.port or 3306, user=url.username,
                                password=url.password or "", autocommit=True, connect_timeout=5)
    except Exception as exc:  # noqa: BLE001
        _unavailable(f"MySQL/MariaDB at {MYSQL_URI}", exc)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        yield url.set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {database}")
        admin.close()


@contextmanager
def database_uri(backend: str, tmp_path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/runyard.db"
    elif backend == "postgresql":
        with postgres_uri() as uri:
            yield uri
    else:
        with mysql_uri() as uri:
            yield uri
