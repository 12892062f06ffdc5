"""End to end: retort and real Alembic 1.8.1 take turns on ONE database.

The same revision graph is written as an Alembic project (online env.py,
transaction_per_migration=True, URL from $ALEMBIC_DATABASE_URL) and as a
retort project (tests/differential/project_writer.py); every revision's
upgrade creates table t_<id> and its downgrade drops it. After every move of
either tool:

* `alembic current` and `retort current` print the same lines (when several
  heads are applied Alembic prints them in the iteration order of a Python
  set of objects, which changes from run to run, so those are compared as
  sorted lists; a single line is compared byte for byte),
* the raw rows of the version table are exactly the expected heads,
* the tables t_* that exist are exactly those of the applied revisions
  (ancestors of the rows along down_revision and depends_on), or, after a
  stamp, exactly those the test says.

Alembic is /usr/bin/python3 -m alembic (Debian's 1.8.1, SQLAlchemy 1.4,
psycopg2); both tools get the postgresql+psycopg2:// form of the URL
(SPEC §3: retort accepts it). See reference/alembic.md §2.2 and §2.5.
"""
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
from pathlib import Path

import harness
from harness import ScratchDatabase, run_retort, run_retort_confirmed

sys.path.insert(0, str(harness.SOURCE_DIR / "tests" / "differential"))
from project_writer import Rev, write_alembic_project, write_retort_project  # noqa: E402

PYTHON = "/usr/bin/python3"
URL_ENV = "ALEMBIC_DATABASE_URL"
ALEMBIC_FAILED = 255  # CommandError: "FAILED: ..." and sys.exit(-1)

# Counters reported at the end of the run (tearDownModule).
STATS = {"moves": 0, "alembic_moves": 0, "retort_moves": 0, "checks": 0, "assertions": 0}


def _conninfo_params(conninfo):
    """Keyword conninfo ("k=v k='v v'") or URI -> dict of libpq keywords."""
    if re.match(r"^postgres(ql)?://", conninfo):
        u = urllib.parse.urlsplit(conninfo)
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query).items()}
        if u.hostname:
            params["host"] = u.hostname
        if u.port:
            params["port"] = str(u.port)
        if u.username:
            params["user"] = urllib.parse.unquote(u.username)
        if u.password:
            params["password"] = urllib.parse.unquote(u.password)
        if u.path.strip("/"):
            params["dbname"] = urllib.parse.unquote(u.path.strip("/"))
        return params
    params = {}
    for m in re.finditer(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", conninfo):
        value = m.group(2)
        if value.startswith("'"):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[m.group(1)] = value
    return params


def sqlalchemy_url(conninfo, dbname):
    """postgresql+psycopg2:// URL of database dbname on the server of conninfo."""
    p = _conninfo_params(conninfo)
    user = urllib.parse.quote(p.pop("user", os.environ.get("USER", "postgres")), safe="")
    password = p.pop("password", None)
    auth = user + (":" + urllib.parse.quote(password, safe="") if password else "") + "@"
    host = p.pop("host", "")
    port = p.pop("port", None)
    p.pop("dbname", None)
    query = {}
    if host.startswith("/"):  # a socket directory goes in the query string
        query["host"] = host
        host = ""
    netloc = auth + host + (f":{port}" if port and host else "")
    if port and not host:
        query["port"] = port
    query.update(p)
    q = urllib.parse.urlencode(query)
    return f"postgresql+psycopg2://{netloc}/{urllib.parse.quote(dbname)}" + (f"?{q}" if q else "")


class InteropCase(unittest.TestCase):
    """One scratch database, the graph written for both tools."""

    maxDiff = None

    def setUp(self):
        self.stack = contextlib.ExitStack()
        self.addCleanup(self.stack.close)
        self.db = self.stack.enter_context(ScratchDatabase("retort_interop"))
        self.url = sqlalchemy_url(harness.server_conninfo(), self.db.name)
        self.tmp = Path(self.stack.enter_context(tempfile.TemporaryDirectory(prefix="retort_interop_")))
        self.version_table = "alembic_version"
        self.version_schema = None

    # -- projects -------------------------------------------------------------

    def projects(self, revs, version_table="alembic_version", version_table_schema=None,
                 name="proj"):
        self.revs = {r.id: r for r in revs}
        self.version_table = version_table
        self.version_schema = version_table_schema
        self.alembic_dir = write_alembic_project(
            self.tmp / name / "alembic", revs, online=True, url_env=URL_ENV,
            version_table=version_table, version_table_schema=version_table_schema)
        self.retort_dir = write_retort_project(
            self.tmp / name / "retort", revs, version_table=version_table,
            version_table_schema=version_table_schema)

    # -- the two tools --------------------------------------------------------

    def alembic(self, *args, expect=0, db_url=None):
        env = dict(os.environ)
        env[URL_ENV] = db_url or self.url
        env.pop("PYTHONPATH", None)
        ini = self.alembic_dir / "alembic.ini"
        proc = subprocess.run([PYTHON, "-m", "alembic", "-c", str(ini), *map(str, args)],
                              env=env, capture_output=True, text=True, timeout=120)
        if expect is not None:
            self.assertEqual(proc.returncode, expect,
                             f"alembic {' '.join(map(str, args))}\nstdout:\n{proc.stdout}\n"
                             f"stderr:\n{proc.stderr}")
            STATS["assertions"] += 1
        return proc

    def retort(self, *args, expect=0, db_url=None, confirmed=False):
        """confirmed: with the --confirm of the command's dry run, as a pipeline
        does after review (every retort downgrade here drops tables)."""
        conf = self.retort_dir / "retort.yaml"
        run = run_retort_confirmed if confirmed else run_retort
        proc = run("-c", conf, *args, url=db_url or self.url)
        if expect is not None:
            self.assertEqual(proc.returncode, expect,
                             f"retort {' '.join(map(str, args))}\nstdout:\n{proc.stdout}\n"
                             f"stderr:\n{proc.stderr}")
            STATS["assertions"] += 1
        return proc

    def move(self, tool, *args, rows, tables=None, current=None):
        """One command of one tool, then the full check."""
        STATS["moves"] += 1
        STATS[f"{tool}_moves"] += 1
        if tool == "alembic":
            self.alembic(*args)
        else:
            self.retort(*args, confirmed=args[0] == "downgrade")
        self.check(rows, tables, current, after=f"{tool} {' '.join(args)}")

    # -- state ----------------------------------------------------------------

    def qualified_table(self):
        return f'"{self.version_schema}"."{self.version_table}"' if self.version_schema \
            else f'"{self.version_table}"'

    def version_rows(self):
        """Rows of the version table; None when it does not exist."""
        if self.db.query("SELECT to_regclass(%s)", (self.qualified_table(),))[0][0] is None:
            return None
        return sorted(r[0] for r in self.db.query(f"SELECT version_num FROM {self.qualified_table()}"))

    def t_tables(self):
        rows = self.db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                             "AND tablename LIKE 't\\_%'")
        return sorted(r[0][2:] for r in rows)

    def applied(self, rows):
        """Every revision implied by the rows: ancestors via down and depends_on."""
        seen, todo = set(), list(rows)
        while todo:
            rid = todo.pop()
            if rid in seen:
                continue
            seen.add(rid)
            todo.extend(self.revs[rid].down)
            todo.extend(self.revs[rid].depends_on)
        return sorted(seen)

    def check(self, rows, tables=None, current=None, after=""):
        """rows: expected version-table rows; tables: expected t_* (default: applied(rows));
        current: expected `current` lines (optional, in any order)."""
        STATS["checks"] += 1
        ctx = f"after {after}" if after else ""
        actual_rows = self.version_rows()
        if actual_rows is None and not rows and not after:
            pass  # before the first move: no version table yet
        else:
            self.assertEqual(actual_rows, sorted(rows), f"version table rows {ctx}")
        expected_tables = sorted(tables) if tables is not None else self.applied(rows)
        self.assertEqual(self.t_tables(), expected_tables, f"t_* tables {ctx}")
        a = self.alembic("current").stdout
        r = self.retort("current").stdout
        a_lines, r_lines = a.splitlines(), r.splitlines()
        if len(a_lines) <= 1:
            self.assertEqual(r, a, f"`current` output {ctx}")
        else:
            self.assertEqual(sorted(r_lines), sorted(a_lines), f"`current` lines {ctx}")
            self.assertTrue(r.endswith("\n"), ctx)
        self.assertEqual(len(a_lines), len(set(a_lines)), ctx)
        if current is not None:
            self.assertEqual(sorted(a_lines), sorted(current), f"alembic `current` {ctx}")
        STATS["assertions"] += 6


def chain(prefix, n):
    revs = []
    for i in range(1, n + 1):
        revs.append(Rev(f"{prefix}{i}", [revs[-1].id] if revs else [], message=f"{prefix} step {i}"))
    return revs


class LinearChain(InteropCase):
    def test_taking_turns_on_a_chain_of_six(self):
        revs = chain("lin", 6)
        self.projects(revs)
        self.check([], current=[])
        # `current` never creates the version table (either tool).
        self.assertIsNone(self.version_rows())
        self.move("retort", "upgrade", "lin3", rows=["lin3"], current=["lin3"])
        self.assert_alembic_ddl()
        oid = self.version_table_oid()
        history = self.db.query("SELECT count(*) FROM retort_history")
        self.assertEqual(history, [(3,)])
        self.move("alembic", "upgrade", "head", rows=["lin6"], current=["lin6 (head)"])
        self.assertEqual(self.version_table_oid(), oid, "Alembic recreated alembic_version")
        # Alembic leaves retort's sidecar alone.
        self.assertEqual(self.db.query("SELECT count(*) FROM retort_history"), history)
        self.move("alembic", "downgrade", "lin2", rows=["lin2"])
        self.move("retort", "upgrade", "head", rows=["lin6"])
        self.move("retort", "downgrade", "base", rows=[])
        # The table stays (rows deleted, never dropped), as Alembic does.
        self.assertEqual(self.version_table_oid(), oid)
        self.move("alembic", "upgrade", "head", rows=["lin6"])
        self.move("retort", "downgrade", "-2", rows=["lin4"])
        self.move("alembic", "upgrade", "+1", rows=["lin5"])
        self.move("retort", "upgrade", "lin5+1", rows=["lin6"])
        self.move("alembic", "downgrade", "lin6-3", rows=["lin3"])
        self.assertEqual(self.version_table_oid(), oid)
        self.retort("current", "--check-heads", expect=6)
        self.move("retort", "upgrade", "heads", rows=["lin6"])
        self.retort("current", "--check-heads", expect=0)

    def version_table_oid(self):
        return self.db.query(f"SELECT '{self.qualified_table()}'::regclass::oid")[0][0]

    def assert_alembic_ddl(self):
        describe_version_table(self, self.db, "public", "alembic_version")


def describe_version_table(case, db, schema, table):
    """The version table retort made has Alembic's DDL (reference §2.2)."""
    cols = db.query("SELECT column_name, data_type, character_maximum_length, is_nullable, "
                    "column_default FROM information_schema.columns "
                    "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                    (schema, table))
    case.assertEqual(cols, [("version_num", "character varying", 32, "NO", None)])
    cons = db.query("SELECT tc.constraint_name, tc.constraint_type, kcu.column_name "
                    "FROM information_schema.table_constraints tc "
                    "JOIN information_schema.key_column_usage kcu "
                    "  ON kcu.constraint_name = tc.constraint_name "
                    " AND kcu.constraint_schema = tc.constraint_schema "
                    "WHERE tc.table_schema = %s AND tc.table_name = %s",
                    (schema, table))
    case.assertEqual(cons, [(f"{table}_pkc", "PRIMARY KEY", "version_num")])
    # Nothing else on it: no other index, trigger, default, check constraint.
    extra = db.query("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                     "JOIN pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE n.nspname = %s AND c.relname = %s", (schema, table))
    case.assertEqual(extra, [(1,)])
    STATS["assertions"] += 3


# Same catalog description of a version table, for comparing two databases.
CATALOG_SQL = """
SELECT c.relkind::text, c.relpersistence::text,
       (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                          || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                          || COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), ''),
                          ', ' ORDER BY a.attnum)
        FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT string_agg(co.conname || ' ' || pg_get_constraintdef(co.oid), '; ' ORDER BY co.conname)
        FROM pg_constraint co WHERE co.conrelid = c.oid),
       (SELECT string_agg(pg_get_indexdef(i.indexrelid), '; ' ORDER BY 1)
        FROM pg_index i WHERE i.indrelid = c.oid),
       (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s
"""


class SameDdlAsAlembic(InteropCase):
    def test_version_table_ddl_equals_the_one_alembic_creates(self):
        """retort's and Alembic's own version table, each in its own database,
        have the same catalog description (default and custom table/schema)."""
        for table, schema in (("alembic_version", None), ("retort_version", "meta")):
            with self.subTest(table=table, schema=schema), \
                    ScratchDatabase("retort_interop_ddl") as other:
                self.projects(chain("ddl", 2), table, schema, name=f"ddl_{table}")
                other_url = sqlalchemy_url(harness.server_conninfo(), other.name)
                self.retort("stamp", "ddl1")
                if schema:  # Alembic does not create schemas (its #659)
                    other.query(f"CREATE SCHEMA {schema}")
                self.alembic("stamp", "ddl1", db_url=other_url)
                ours = self.db.query(CATALOG_SQL, (schema or "public", table))
                theirs = other.query(CATALOG_SQL, (schema or "public", table))
                self.assertEqual(len(theirs), 1)
                self.assertEqual(ours, theirs)
                describe_version_table(self, self.db, schema or "public", table)
                self.assertEqual(self.db.query(
                    f"SELECT version_num FROM {self.qualified_table()}"), [("ddl1",)])
                STATS["assertions"] += 3


class BranchAndMerge(InteropCase):
    # root -> bp (branchpoint) -> fa1 (label feature) -> fa2 -> mg (merge) -> tail
    #                          -> ob1 ------------------------/
    def revs(self):
        return [
            Rev("root", [], message="root"),
            Rev("bp", ["root"], message="branch point"),
            Rev("fa1", ["bp"], labels=["feature"], message="feature one"),
            Rev("fa2", ["fa1"], message="feature two"),
            Rev("ob1", ["bp"], message="other branch"),
            Rev("mg", ["fa2", "ob1"], message="merge"),
            Rev("tail", ["mg"], message="after merge"),
        ]

    def test_alternating_through_branches_merge_and_unmerge(self):
        self.projects(self.revs())
        self.move("retort", "upgrade", "+1", rows=["root"], current=["root"])
        self.move("alembic", "upgrade", "+1", rows=["bp"], current=["bp (branchpoint)"])
        self.move("retort", "upgrade", "fa1", rows=["fa1"], current=["fa1"])
        # A second branch: two heads, two rows.
        self.move("alembic", "upgrade", "ob1", rows=["fa1", "ob1"], current=["fa1", "ob1"])
        self.retort("current", "--check-heads", expect=6)
        self.move("retort", "upgrade", "feature@+1", rows=["fa2", "ob1"], current=["fa2", "ob1"])
        # The merge: one row.
        self.move("alembic", "upgrade", "mg", rows=["mg"], current=["mg (mergepoint)"])
        self.move("retort", "upgrade", "feature@head", rows=["tail"], current=["tail (head)"])
        self.retort("current", "--check-heads", expect=0)
        self.move("alembic", "downgrade", "-1", rows=["mg"])
        # A relative downgrade from a mergepoint: Alembic 1.8.1 refuses
        # ("Ambiguous walk"), and so does retort; nothing changes.
        a = self.alembic("downgrade", "-1", expect=ALEMBIC_FAILED)
        self.assertIn("Ambiguous walk", a.stdout)
        r = self.retort("downgrade", "-1", expect=3)
        self.assertIn("Ambiguous walk", r.stderr)
        self.check(["mg"], after="downgrade -1 refused by both")
        # Unmerge by an explicit id: both parents come back as rows.
        self.move("retort", "downgrade", "fa2", rows=["fa2", "ob1"], current=["fa2", "ob1"])
        self.move("alembic", "downgrade", "feature@-1", rows=["fa1", "ob1"])
        self.move("retort", "downgrade", "ob1@-1", rows=["fa1"])
        self.move("alembic", "upgrade", "heads", rows=["tail"])
        self.move("retort", "downgrade", "mg", rows=["mg"])
        # Alembic unmerges what retort merged.
        self.move("alembic", "downgrade", "ob1", rows=["fa2", "ob1"])
        self.move("retort", "downgrade", "fa1", rows=["fa1", "ob1"])
        self.move("alembic", "downgrade", "bp", rows=["bp"])
        self.move("retort", "upgrade", "ob1", rows=["ob1"])
        self.move("alembic", "upgrade", "feature@fa2", rows=["fa2", "ob1"])
        self.move("retort", "upgrade", "heads", rows=["tail"])
        self.move("alembic", "downgrade", "base", rows=[])
        self.move("retort", "upgrade", "fa2", rows=["fa2"])
        self.move("alembic", "upgrade", "heads", rows=["tail"])
        self.move("retort", "downgrade", "root", rows=["root"])


class DependsOnAcrossRoots(InteropCase):
    # core: k1 (label core) -> k2;  ext: e1 (label ext, depends_on k1) -> e2 (depends_on k2)
    def revs(self):
        return [
            Rev("k1", [], labels=["core"], message="core base"),
            Rev("k2", ["k1"], message="core two"),
            Rev("e1", [], labels=["ext"], depends_on=["k1"], message="ext base"),
            Rev("e2", ["e1"], depends_on=["k2"], message="ext two"),
        ]

    def test_depends_on_between_two_roots(self):
        self.projects(self.revs())
        self.move("retort", "upgrade", "ext@head", rows=["e2"],
                  current=["e2 (head)", "k2 (effective head)"])
        self.retort("current", "--check-heads", expect=0)
        heads_a = self.alembic("heads").stdout.splitlines()
        heads_r = self.retort("heads").stdout.splitlines()
        self.assertEqual(sorted(heads_r), sorted(heads_a))
        self.move("alembic", "upgrade", "heads", rows=["e2"])
        self.move("retort", "downgrade", "k1", rows=["e1"])
        self.move("alembic", "upgrade", "heads", rows=["e2"])
        self.move("retort", "downgrade", "ext@base", rows=["k2"])
        self.move("alembic", "upgrade", "e1", rows=["e1", "k2"])
        self.move("retort", "upgrade", "e2", rows=["e2"])
        self.move("alembic", "downgrade", "base", rows=[])
        self.move("retort", "upgrade", "core@head", rows=["k2"])
        self.move("alembic", "upgrade", "ext@+1", rows=["e1", "k2"])
        self.move("retort", "downgrade", "core@base", rows=[])


class Stamp(InteropCase):
    def test_stamps_of_either_tool(self):
        self.projects(chain("st", 5))
        self.move("alembic", "stamp", "st2", rows=["st2"], tables=[])
        # Only the later scripts run.
        self.move("retort", "upgrade", "head", rows=["st5"], tables=["st3", "st4", "st5"])
        self.move("alembic", "downgrade", "st3", rows=["st3"], tables=["st3"])
        self.move("retort", "stamp", "st1", rows=["st1"], tables=["st3"])
        self.move("alembic", "upgrade", "+1", rows=["st2"], tables=["st2", "st3"])
        self.move("retort", "stamp", "st4", rows=["st4"], tables=["st2", "st3"])
        self.move("alembic", "upgrade", "head", rows=["st5"], tables=["st2", "st3", "st5"])
        # A row neither tool knows: both refuse to say where the database is
        # and to stamp without --purge.
        self.insert_unknown_row()
        a = self.alembic("current", expect=ALEMBIC_FAILED)
        self.assertIn("f00dfeed", a.stdout)
        r = self.retort("current", expect=6)
        self.assertIn("f00dfeed", r.stderr)
        self.alembic("stamp", "st4", expect=ALEMBIC_FAILED)
        self.retort("stamp", "st4", expect=3)
        self.assertEqual(self.version_rows(), ["f00dfeed", "st5"])
        self.move("retort", "stamp", "--purge", "st5", rows=["st5"], tables=["st2", "st3", "st5"])
        self.move("alembic", "downgrade", "-1", rows=["st4"], tables=["st2", "st3"])
        self.move("retort", "stamp", "st3", rows=["st3"], tables=["st2", "st3"])
        self.move("alembic", "upgrade", "head", rows=["st5"], tables=["st2", "st3", "st4", "st5"])
        self.move("retort", "downgrade", "st1", rows=["st1"], tables=[])
        self.insert_unknown_row()
        self.move("alembic", "stamp", "--purge", "base", rows=[], tables=[])
        self.move("retort", "upgrade", "head", rows=["st5"])
        self.move("alembic", "downgrade", "base", rows=[])

    def insert_unknown_row(self):
        self.db.query(f"INSERT INTO {self.qualified_table()} VALUES ('f00dfeed')")


class CustomVersionTable(InteropCase):
    def test_version_table_in_its_own_schema(self):
        self.projects(chain("cv", 4), "retort_version", "meta")
        self.assertEqual(self.db.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'meta'"),
                         [(0,)])
        # Alembic cannot start here: it does not create schemas.
        self.alembic("upgrade", "head", expect=1)
        self.assertEqual(self.t_tables(), [])
        self.move("retort", "upgrade", "+1", rows=["cv1"])
        describe_version_table(self, self.db, "meta", "retort_version")
        oid = self.db.query("SELECT 'meta.retort_version'::regclass::oid")[0][0]
        self.move("alembic", "upgrade", "head", rows=["cv4"])
        self.assertEqual(self.db.query("SELECT 'meta.retort_version'::regclass::oid")[0][0], oid,
                         "Alembic recreated meta.retort_version")
        self.move("retort", "downgrade", "cv2", rows=["cv2"])
        self.move("alembic", "downgrade", "-1", rows=["cv1"])
        self.move("retort", "upgrade", "heads", rows=["cv4"])
        self.move("alembic", "downgrade", "base", rows=[])
        self.assertEqual(self.db.query(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_name IN ('alembic_version', 'retort_version')"),
            [("meta", "retort_version")])


def tearDownModule():
    print(f"\ninterop: {STATS['moves']} moves ({STATS['retort_moves']} retort, "
          f"{STATS['alembic_moves']} alembic), {STATS['checks']} state checks, "
          f"~{STATS['assertions']} assertions", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
