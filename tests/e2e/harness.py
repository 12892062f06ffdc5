"""Shared helpers for retort's end-to-end tests (real binary, real PostgreSQL).

The server comes from RETORT_TEST_DATABASE_URL (a libpq keyword string or
URI of a server where databases may be created). When it is unset the
harness starts a throwaway cluster itself with scripts/pg_throwaway.sh, so
these tests never skip for lack of a database.
"""
import atexit
import itertools
import json
import os
import shlex
import subprocess
import textwrap
from pathlib import Path

import psycopg2

SOURCE_DIR = Path(os.environ.get("RETORT_SOURCE_DIR", Path(__file__).resolve().parents[2]))
RETORT = os.environ.get("RETORT_BINARY", str(SOURCE_DIR / "build" / "retort"))

_server = None
_counter = itertools.count()


def _parse_exports(text):
    env = {}
    for token in shlex.split(text.replace("export ", "")):
        key, _, value = token.partition("=")
        env[key] = value
    return env


def server_conninfo():
    """Keyword conninfo of the test server (without dbname)."""
    global _server
    if _server is None:
        url = os.environ.get("RETORT_TEST_DATABASE_URL")
        if url:
            _server = url
        else:
            out = subprocess.run([str(SOURCE_DIR / "scripts" / "pg_throwaway.sh"), "start"],
                                 check=True, capture_output=True, text=True).stdout
            env = _parse_exports(out)
            atexit.register(subprocess.run,
                            [str(SOURCE_DIR / "scripts" / "pg_throwaway.sh"), "stop", env["PGTMP"]])
            _server = f"host=127.0.0.1 port={env['PGPORT']} user=postgres dbname=postgres"
    return _server


def _with_dbname(conninfo, dbname):
    parts = [p for p in conninfo.split() if not p.startswith("dbname=")]
    return " ".join(parts + [f"dbname={dbname}"])


class ScratchDatabase:
    """A uniquely named database, dropped on exit; .url is its conninfo."""

    def __init__(self, prefix="retort_e2e"):
        self.name = f"{prefix}_{os.getpid()}_{next(_counter)}"
        self.url = _with_dbname(server_conninfo(), self.name)

    def __enter__(self):
        admin = psycopg2.connect(server_conninfo())
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{self.name}"')
        admin.close()
        return self

    def __exit__(self, *exc):
        admin = psycopg2.connect(server_conninfo())
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        admin.close()
        return False

    def query(self, sql, params=None):
        """Rows of one query, in its own autocommit connection."""
        conn = psycopg2.connect(self.url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()


def run_retort(*args, url=None, cwd=None, env=None, timeout=120):
    """Runs the retort binary; returns CompletedProcess (text)."""
    full_env = dict(os.environ)
    full_env.pop("DATABASE_URL", None)
    if env:
        full_env.update(env)
    argv = [RETORT] + ([f"--url={url}"] if url else []) + [str(a) for a in args]
    return subprocess.run(argv, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def _without_output_options(args):
    """args without --format X / --format=X / -q / --quiet (the dry run sets its own)."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "--format":
            skip = True
            continue
        if a.startswith("--format=") or a in ("-q", "--quiet"):
            continue
        out.append(a)
    return out


def confirm_argument(*args, url=None, cwd=None, env=None, timeout=120):
    """What a pipeline reads before a destructive run: the `confirm` of
    `retort ARGS --dry-run --format json` ("" when nothing needs confirming).
    Returns (confirm, dry-run CompletedProcess); confirm is None when the dry
    run did not exit 0 (a refusal, an invalid target: the real run will say)."""
    args = [str(a) for a in args]
    dry = run_retort("--format", "json", *_without_output_options(args), "--dry-run",
                     url=url, cwd=cwd, env=env, timeout=timeout)
    if dry.returncode != 0:
        return None, dry
    return json.loads(dry.stdout).get("confirm", ""), dry


def run_retort_confirmed(*args, url=None, cwd=None, env=None, timeout=120):
    """Runs ARGS the way a deploy pipeline does after review: first the same
    command with --dry-run --format json, then ARGS with --confirm <its
    `confirm`> when that is not empty. For tests that mean "this downgrade
    (or destructive upgrade) succeeds"; a test of a refusal calls run_retort.
    The result is the real run's CompletedProcess, with .confirm (the
    argument passed, "" or None) and .dry_run (the dry run's process)."""
    confirm, dry = confirm_argument(*args, url=url, cwd=cwd, env=env, timeout=timeout)
    extra = ["--confirm", confirm] if confirm else []
    proc = run_retort(*args, *extra, url=url, cwd=cwd, env=env, timeout=timeout)
    proc.confirm = confirm
    proc.dry_run = dry
    return proc


def write_project(root, revisions, config_extra=""):
    """Writes a retort script directory.

    revisions: dicts with id, down (None, str or list), upgrade, downgrade,
    and optionally message, slug, transactional, branch_labels, depends_on,
    isolation ({table: fixture SQL}).
    Returns the path of retort.yaml.
    """
    root = Path(root)
    (root / "versions").mkdir(parents=True, exist_ok=True)
    (root / "retort.yaml").write_text("version_locations: [versions]\n" + textwrap.dedent(config_extra))
    for rev in revisions:
        folder = root / "versions" / f"{rev['id']}_{rev.get('slug', 'rev')}"
        folder.mkdir()
        down = rev.get("down")
        if down is None:
            down_yaml = "null"
        elif isinstance(down, str):
            down_yaml = down
        else:
            down_yaml = "[" + ", ".join(down) + "]"
        lines = [f"revision: {rev['id']}", f"down_revision: {down_yaml}",
                 f"message: \"{rev.get('message', 'revision ' + rev['id'])}\"",
                 "create_date: \"2026-01-01 00:00:00\""]
        if rev.get("branch_labels"):
            lines.append("branch_labels: [" + ", ".join(rev["branch_labels"]) + "]")
        if rev.get("depends_on"):
            lines.append("depends_on: [" + ", ".join(rev["depends_on"]) + "]")
        if rev.get("transactional") is False:
            lines.append("transactional: false")
        if rev.get("isolation"):
            lines.append("isolation:")
            lines += [f"  {table}: {sql}" for table, sql in rev["isolation"].items()]
        (folder / "migration.yaml").write_text("\n".join(lines) + "\n")
        (folder / "upgrade.sql").write_text(rev["upgrade"])
        if rev.get("downgrade") is not None:
            (folder / "downgrade.sql").write_text(rev["downgrade"])
    return root / "retort.yaml"


def linear_chain(n, prefix="c"):
    """n revisions, each creating table t_<i> (real downgrades)."""
    revs = []
    for i in range(n):
        rid = f"{prefix}{i:07d}"
        revs.append({
            "id": rid,
            "down": revs[-1]["id"] if revs else None,
            "upgrade": f"CREATE TABLE t_{i} (id int PRIMARY KEY, v text);\n"
                       f"INSERT INTO t_{i} VALUES (1, 'x');\n",
            "downgrade": f"DROP TABLE t_{i};\n",
            "message": f"create t_{i}",
        })
    return revs
