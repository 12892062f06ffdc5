"""Write the same revision graph as an Alembic project and as a retort project.

Used by the differential test (run_differential.py) and by the benchmark.
Standard library only; nothing here imports Alembic.

    write_alembic_project(root, revs) -> dir holding alembic.ini (== root)
    write_retort_project(root, revs)  -> dir holding retort.yaml (== root)

By default the Alembic project's env.py supports offline (--sql) mode only
(the differential test). ``write_alembic_project(..., online=True)`` writes an
env.py for online mode instead: it connects to the SQLAlchemy URL in the
environment variable ``url_env`` (default ALEMBIC_DATABASE_URL) and runs with
``transaction_per_migration=True``; ``version_table`` and
``version_table_schema`` are passed to ``context.configure`` (the same two
keywords of ``write_retort_project`` go to retort.yaml). Every revision's
upgrade creates table ``t_<id> (id int)`` and its downgrade drops it, for both
tools.

Both layouts name each revision ``<id>_<slug>`` (``<id>_<slug>.py`` for
Alembic, a folder ``<id>_<slug>/`` for retort) with the same slug, so the
lexical order of the revision files is the same for both tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Rev", "slug", "write_alembic_project", "write_retort_project"]

DB_URL = "postgresql://u:secret@localhost/db"


@dataclass
class Rev:
    id: str
    down: list[str]
    depends_on: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    message: str = ""
    create_date: str = "2026-01-01 00:00:00"


def slug(message: str) -> str:
    """Words of the message joined by '_', lowercased."""
    return "_".join(re.findall(r"\w+", message.lower()))


def _stem(rev: Rev) -> str:
    s = slug(rev.message)
    return f"{rev.id}_{s}" if s else rev.id


def _check(revs: list[Rev]) -> None:
    seen = set()
    for r in revs:
        if not re.fullmatch(r"[0-9a-z_]+", r.id):
            raise ValueError(f"revision id {r.id!r} is not [0-9a-z_]+")
        if r.id in seen:
            raise ValueError(f"duplicate revision id {r.id}")
        seen.add(r.id)
        for text in [r.message, r.create_date, *r.labels, *r.depends_on, *r.down]:
            if any(c in text for c in '"\\\n') or not text.isascii():
                raise ValueError(f"unsupported character in {text!r} ({r.id})")


def _py_tuple(items: list[str]) -> str:
    if not items:
        return "None"
    return "(" + ", ".join(repr(i) for i in items) + ("," if len(items) == 1 else "") + ")"


def _py_down(down: list[str]) -> str:
    if not down:
        return "None"
    if len(down) == 1:
        return repr(down[0])
    return _py_tuple(down)


_ALEMBIC_INI = """\
[alembic]
script_location = {script_location}
sqlalchemy.url = {url}

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console
qualname =

[logger_sqlalchemy]
level = WARN
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = WARN
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
"""

_ENV_PY = '''\
"""env.py for the differential test: offline (--sql) mode only."""
from logging.config import fileConfig

from alembic import context

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

if not context.is_offline_mode():
    raise RuntimeError("this env.py supports offline (--sql) mode only")

context.configure(
    url=config.get_main_option("sqlalchemy.url"),
    literal_binds=True,
    transaction_per_migration=True,
    dialect_opts={"paramstyle": "named"},
)

with context.begin_transaction():
    context.run_migrations()
'''

_ENV_PY_ONLINE = '''\
"""env.py for online mode: the URL comes from ${url_env}."""
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

if context.is_offline_mode():
    raise RuntimeError("this env.py supports online mode only")

engine = create_engine(os.environ[{url_env!r}], poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        transaction_per_migration=True,
        version_table={version_table!r},
        version_table_schema={version_table_schema!r},
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
'''

_REVISION_PY = '''\
"""{message}

Revision ID: {id}
Revises: {revises}
Create Date: {create_date}

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = {id_repr}
down_revision = {down}
branch_labels = {labels}
depends_on = {depends}


def upgrade():
    op.execute("CREATE TABLE t_{id} (id int)")


def downgrade():
    op.execute("DROP TABLE t_{id}")
'''


def write_alembic_project(root: Path, revs: list[Rev], *, online: bool = False,
                          url_env: str = "ALEMBIC_DATABASE_URL",
                          version_table: str = "alembic_version",
                          version_table_schema: str | None = None) -> Path:
    """Write alembic.ini, env.py and versions/<id>_<slug>.py under root; return root.

    online=False: the offline-only env.py of the differential test (the other
    keywords must keep their defaults). online=True: see the module docstring.
    """
    _check(revs)
    if not online and (url_env != "ALEMBIC_DATABASE_URL" or version_table != "alembic_version"
                       or version_table_schema is not None):
        raise ValueError("url_env/version_table/version_table_schema need online=True")
    root = Path(root).resolve()
    versions = root / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (root / "alembic.ini").write_text(
        _ALEMBIC_INI.format(script_location=str(root), url=DB_URL))
    if online:
        (root / "env.py").write_text(_ENV_PY_ONLINE.format(
            url_env=url_env, version_table=version_table,
            version_table_schema=version_table_schema))
    else:
        (root / "env.py").write_text(_ENV_PY)
    for r in revs:
        (versions / f"{_stem(r)}.py").write_text(_REVISION_PY.format(
            message=r.message,
            id=r.id,
            revises=", ".join(r.down),
            create_date=r.create_date,
            id_repr=repr(r.id),
            down=_py_down(r.down),
            labels=_py_tuple(r.labels),
            depends=_py_tuple(r.depends_on),
        ))
    return root


def _yq(s: str) -> str:
    return '"' + s + '"'


def _ylist(items: list[str]) -> str:
    return "[" + ", ".join(_yq(i) for i in items) + "]"


def write_retort_project(root: Path, revs: list[Rev], *,
                         version_table: str = "alembic_version",
                         version_table_schema: str | None = None) -> Path:
    """Write retort.yaml and versions/<id>_<slug>/ folders under root; return root.

    With the defaults retort.yaml is only ``version_locations: [versions]``.
    """
    _check(revs)
    root = Path(root).resolve()
    versions = root / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    config = "version_locations: [versions]\n"
    if version_table != "alembic_version":
        config += f"version_table: {_yq(version_table)}\n"
    if version_table_schema is not None:
        config += f"version_table_schema: {_yq(version_table_schema)}\n"
    (root / "retort.yaml").write_text(config)
    for r in revs:
        d = versions / _stem(r)
        d.mkdir(exist_ok=True)
        if not r.down:
            down = "null"
        elif len(r.down) == 1:
            down = _yq(r.down[0])
        else:
            down = _ylist(r.down)
        lines = [f"revision: {_yq(r.id)}", f"down_revision: {down}"]
        if r.labels:
            lines.append(f"branch_labels: {_ylist(r.labels)}")
        if r.depends_on:
            lines.append(f"depends_on: {_ylist(r.depends_on)}")
        lines.append(f"message: {_yq(r.message)}")
        lines.append(f"create_date: {_yq(r.create_date)}")
        (d / "migration.yaml").write_text("\n".join(lines) + "\n")
        (d / "upgrade.sql").write_text(f"CREATE TABLE t_{r.id} (id int);\n")
        (d / "downgrade.sql").write_text(f"DROP TABLE t_{r.id};\n")
    return root
