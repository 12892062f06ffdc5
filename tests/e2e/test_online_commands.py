"""End to end: every online command (upgrade, downgrade, stamp, current) in
text and JSON against a real PostgreSQL, with the database state read back
with psycopg2 after each run (SPEC §4, §5; reference/alembic.md §2.2)."""
import contextlib
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import psycopg2

import harness
from harness import ScratchDatabase, linear_chain, run_retort, run_retort_confirmed, write_project

HEX64 = re.compile(r"^[0-9a-f]{64}$")

# Everything a migration could leave behind in a database, without OIDs.
SNAPSHOT_SQL = """
SELECT n.nspname, c.relname, c.relkind::text,
       COALESCE((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                   || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
                                   ', ' ORDER BY a.attnum)
                 FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), ''),
       COALESCE((SELECT string_agg(pg_get_indexdef(i.indexrelid), '; ' ORDER BY 1)
                 FROM pg_index i WHERE i.indrelid = c.oid), '')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
UNION ALL
SELECT nspname, '', 'schema', '', '' FROM pg_namespace
WHERE nspname NOT IN ('pg_catalog', 'information_schema')
  AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%'
ORDER BY 1, 2, 3
"""


def retort_version():
    out = subprocess.run([harness.RETORT, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()[0].split()[-1]  # "retort 0.1.0"; libraries follow


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on (just released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RetortCase(unittest.TestCase):
    """A fresh scratch database and a temp directory per test."""

    def setUp(self):
        self.stack = contextlib.ExitStack()
        self.addCleanup(self.stack.close)
        self.db = self.stack.enter_context(ScratchDatabase("retort_online"))
        self.tmp = Path(self.stack.enter_context(tempfile.TemporaryDirectory(prefix="retort_e2e_")))

    def project(self, revisions, config_extra="", name="proj"):
        write_project(self.tmp / name, revisions, config_extra)
        return self.tmp / name

    def retort(self, project, *args, url=None, expect=None, confirmed=False, **kw):
        """Runs retort in the project directory (its retort.yaml). confirmed: as a
        pipeline after review, with the --confirm of the command's dry run (for
        runs meant to succeed that drop tables: every downgrade here)."""
        run = run_retort_confirmed if confirmed else run_retort
        proc = run(*args, url=url if url is not None else self.db.url, cwd=project, **kw)
        if expect is not None:
            self.assertEqual(proc.returncode, expect,
                             f"retort {' '.join(map(str, args))}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    def retort_json(self, project, *args, expect=0, **kw):
        proc = self.retort(project, "--format", "json", *args, expect=expect, **kw)
        doc = json.loads(proc.stdout)  # exactly one document, nothing else on stdout
        self.assertEqual(doc["exit_code"], expect)
        return doc, proc

    # -- database state ---------------------------------------------------
    def versions(self, table="public.alembic_version"):
        return sorted(r[0] for r in self.db.query(f"SELECT version_num FROM {table}"))

    def relation_exists(self, name):
        return self.db.query("SELECT to_regclass(%s) IS NOT NULL", (name,))[0][0]

    def history(self, table="public.retort_history"):
        return self.db.query(
            f"SELECT id, revision, direction, checksum, db_user, client_host, started_at, "
            f"duration_ms, retort_version FROM {table} ORDER BY id")

    def snapshot(self):
        state = {"catalog": self.db.query(SNAPSHOT_SQL)}
        if self.relation_exists("public.alembic_version"):
            state["versions"] = self.versions()
        if self.relation_exists("public.retort_history"):
            state["history"] = self.history()
        return state

    def assert_tables(self, present, total):
        """t_0..t_{present-1} exist, t_present..t_{total-1} do not."""
        for i in range(total):
            self.assertEqual(self.relation_exists(f"public.t_{i}"), i < present, f"t_{i}")


class UpgradeDowngradeTest(RetortCase):
    def test_upgrade_head_from_empty_creates_version_table_and_history(self):
        role = f"migrator_{os.getpid()}"
        self.db.query(f'CREATE ROLE "{role}" LOGIN')
        self.db.query(f'GRANT ALL ON SCHEMA public TO "{role}"')
        proj = self.project(linear_chain(3))
        url = self.db.url.replace("user=postgres", f"user={role}")
        self.assertIn(f"user={role}", url)
        before = datetime.datetime.now(datetime.timezone.utc)
        proc = self.retort(proj, "upgrade", "head", url=url, expect=0)
        after = datetime.datetime.now(datetime.timezone.utc)
        self.assertRegex(proc.stdout, r"^upgrade complete: 3 steps in \d+ ms; version table: c0000002\n$")
        progress = proc.stderr.splitlines()
        self.assertEqual(len(progress), 3, proc.stderr)
        for i, line in enumerate(progress):
            self.assertRegex(line, rf"^\[{i + 1}/3\] upgrade c000000{i} create t_{i} … \d+ ms$")

        # Alembic's DDL, exactly.
        cols = self.db.query(
            "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
            "WHERE attrelid = 'public.alembic_version'::regclass AND attnum > 0 AND NOT attisdropped "
            "ORDER BY attnum")
        self.assertEqual(cols, [("version_num", "character varying(32)", True)])
        cons = self.db.query(
            "SELECT conname, contype::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'public.alembic_version'::regclass")
        self.assertEqual(cons, [("alembic_version_pkc", "p", "PRIMARY KEY (version_num)")])
        self.assertEqual(self.versions(), ["c0000002"])
        self.assert_tables(3, 3)

        rows = self.history()
        self.assertEqual([(r[1], r[2]) for r in rows],
                         [("c0000000", "upgrade"), ("c0000001", "upgrade"), ("c0000002", "upgrade")])
        version = retort_version()
        for _id, _rev, _dir, checksum, db_user, client_host, started_at, duration_ms, rv in rows:
            self.assertRegex(checksum, HEX64)
            self.assertEqual(db_user, role)
            self.assertEqual(client_host, "127.0.0.1")
            self.assertGreaterEqual(started_at, before - datetime.timedelta(seconds=2))
            self.assertLessEqual(started_at, after + datetime.timedelta(seconds=2))
            self.assertGreaterEqual(duration_ms, 0)
            self.assertEqual(rv, version)
        self.assertEqual(len({r[3] for r in rows}), 3, "one checksum per revision")
        self.assertEqual([r[6] for r in rows], sorted(r[6] for r in rows))

        # At head: nothing to do, no new history rows.
        proc = self.retort(proj, "upgrade", "head", url=url, expect=0)
        self.assertRegex(proc.stdout, r"^Nothing to do in \d+ ms; version table: c0000002\n$")
        self.assertEqual(proc.stderr, "")
        self.assertEqual(self.history(), rows)

        # Down and up again: checksums are per revision, the same both ways.
        self.retort(proj, "downgrade", "base", url=url, expect=0, confirmed=True)
        self.retort(proj, "upgrade", "head", url=url, expect=0)
        again = self.history()
        self.assertEqual(len(again), 9)
        by_rev = {}
        for r in again:
            by_rev.setdefault(r[1], set()).add(r[3])
        self.assertEqual({k: len(v) for k, v in by_rev.items()}, {"c0000000": 1, "c0000001": 1, "c0000002": 1})
        self.assertEqual([r[2] for r in again[3:6]], ["downgrade"] * 3)
        self.assertEqual([r[1] for r in again[3:6]], ["c0000002", "c0000001", "c0000000"])

        # A changed file changes the checksum.
        (proj / "versions" / "c0000002_rev" / "downgrade.sql").write_text("DROP TABLE t_2;  -- edited\n")
        self.retort(proj, "downgrade", "-1", url=url, expect=0, confirmed=True)
        self.assertNotEqual(self.history()[-1][3], again[-1][3])
        self.assertEqual(self.history()[-1][1:3], ("c0000002", "downgrade"))

    def tearDown(self):
        role = f"migrator_{os.getpid()}"
        self.stack.close()
        admin = psycopg2.connect(harness.server_conninfo())
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()

    def test_upgrade_json_and_noop(self):
        proj = self.project(linear_chain(3))
        doc, proc = self.retort_json(proj, "upgrade", "head")
        self.assertEqual(doc["command"], "upgrade")
        self.assertEqual(doc["exit_name"], "ok")
        self.assertEqual(doc["heads_before"], [])
        self.assertEqual(doc["heads_after"], ["c0000002"])
        self.assertEqual([s["revision"] for s in doc["steps"]], ["c0000000", "c0000001", "c0000002"])
        self.assertEqual([s["kind"] for s in doc["steps"]], ["upgrade"] * 3)
        self.assertEqual(len(doc["steps"][0]["version_changes"]), 1)
        self.assertTrue(doc["steps"][0]["version_changes"][0].startswith(
            "INSERT INTO alembic_version (version_num) VALUES ('c0000000')"), doc["steps"][0])
        self.assertEqual(doc["steps"][1]["version_changes"],
                         ["UPDATE alembic_version SET version_num='c0000001' "
                          "WHERE alembic_version.version_num = 'c0000000'"])
        for s in doc["steps"]:
            self.assertIsInstance(s["duration_ms"], int)
        self.assertNotIn("password", doc["database"])
        self.assertIn(self.db.name, doc["database"])
        self.assertEqual(self.versions(), ["c0000002"])
        self.assertEqual(len(self.history()), 3)

        doc, _ = self.retort_json(proj, "upgrade", "head")
        self.assertEqual(doc["steps"], [])
        self.assertEqual(doc["heads_before"], ["c0000002"])
        self.assertEqual(doc["heads_after"], ["c0000002"])
        self.assertEqual(len(self.history()), 3)

        # -q: no progress, no summary.
        proc = self.retort(proj, "-q", "downgrade", "-1", expect=0, confirmed=True)
        self.assertEqual((proc.stdout, proc.stderr), ("", ""))
        self.assertEqual(self.versions(), ["c0000001"])

    def test_relative_targets(self):
        proj = self.project(linear_chain(5))
        steps = [
            (("upgrade", "+2"), ["c0000001"], 2),
            (("upgrade", "+1"), ["c0000002"], 3),
            (("upgrade", "c0000002+1"), ["c0000003"], 4),
            (("downgrade", "-1"), ["c0000002"], 3),
            (("downgrade", "-2"), ["c0000000"], 1),
            (("upgrade", "head"), ["c0000004"], 5),
            (("downgrade", "c0000002"), ["c0000002"], 3),
            (("upgrade", "c0000003"), ["c0000003"], 4),
        ]
        for args, rows, present in steps:
            with self.subTest(args=args):
                self.retort(proj, *args, expect=0, confirmed=args[0] == "downgrade")
                self.assertEqual(self.versions(), rows)
                self.assert_tables(present, 5)
        directions = [(r[1], r[2]) for r in self.history()]
        self.assertEqual(directions[:4], [("c0000000", "upgrade"), ("c0000001", "upgrade"),
                                          ("c0000002", "upgrade"), ("c0000003", "upgrade")])
        self.assertEqual(directions[4:7], [("c0000003", "downgrade"), ("c0000002", "downgrade"),
                                           ("c0000001", "downgrade")])
        self.assertEqual(len(directions), 4 + 3 + 4 + 2 + 1)

    def test_downgrade_base_deletes_rows_keeps_table(self):
        proj = self.project(linear_chain(3))
        self.retort(proj, "upgrade", "head", expect=0)
        doc, proc = self.retort_json(proj, "downgrade", "base", confirmed=True)
        self.assertEqual(proc.confirm, "public.t_2=1,public.t_1=1,public.t_0=1")
        self.assertEqual(doc["command"], "downgrade")
        self.assertEqual(doc["heads_before"], ["c0000002"])
        self.assertEqual(doc["heads_after"], [])
        self.assertEqual([s["revision"] for s in doc["steps"]], ["c0000002", "c0000001", "c0000000"])
        self.assertEqual([s["kind"] for s in doc["steps"]], ["downgrade"] * 3)
        self.assertEqual(doc["steps"][-1]["version_changes"],
                         ["DELETE FROM alembic_version WHERE alembic_version.version_num = 'c0000000'"])
        self.assertTrue(self.relation_exists("public.alembic_version"), "downgrade base keeps the table")
        self.assertEqual(self.versions(), [])
        self.assert_tables(0, 3)
        self.assertEqual([r[2] for r in self.history()], ["upgrade"] * 3 + ["downgrade"] * 3)
        # At base already: nothing to do.
        proc = self.retort(proj, "downgrade", "base", expect=0)
        self.assertRegex(proc.stdout, r"^Nothing to do in \d+ ms; version table: \(empty\)\n$")
        self.assertEqual(len(self.history()), 6)

    def test_non_transactional_create_index_concurrently(self):
        revs = linear_chain(3)
        revs[1]["transactional"] = False
        revs[1]["upgrade"] = ("CREATE TABLE t_1 (id int PRIMARY KEY, v text);\n"
                              "CREATE INDEX CONCURRENTLY ix_t0_v ON t_0 (v);\n"
                              "CREATE INDEX CONCURRENTLY ix_t0_id_v ON t_0 (id, v);\n")
        revs[1]["downgrade"] = ("DROP INDEX CONCURRENTLY ix_t0_id_v;\n"
                                "DROP INDEX CONCURRENTLY ix_t0_v;\n"
                                "DROP TABLE t_1;\n")
        proj = self.project(revs)
        proc = self.retort(proj, "upgrade", "head", "--dry-run", expect=0)
        self.assertIn("transactional: false", proc.stdout)
        self.assertIn("CREATE INDEX CONCURRENTLY ix_t0_v ON t_0 (v)", proc.stdout)
        self.retort(proj, "upgrade", "head", expect=0)
        self.assertEqual(self.versions(), ["c0000002"])
        valid = self.db.query("SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c "
                              "ON c.oid = i.indexrelid WHERE c.relname LIKE 'ix_t0%' ORDER BY 1")
        self.assertEqual(valid, [("ix_t0_id_v", True), ("ix_t0_v", True)])
        self.assertEqual([(r[1], r[2]) for r in self.history()],
                         [("c0000000", "upgrade"), ("c0000001", "upgrade"), ("c0000002", "upgrade")])
        self.retort(proj, "downgrade", "c0000000", expect=0, confirmed=True)
        self.assertEqual(self.versions(), ["c0000000"])
        self.assertFalse(self.relation_exists("public.ix_t0_v"))
        self.assertFalse(self.relation_exists("public.ix_t0_id_v"))
        self.assert_tables(1, 3)


class StampTest(RetortCase):
    def test_stamp_runs_no_script(self):
        proj = self.project(linear_chain(4))
        proc = self.retort(proj, "stamp", "c0000002", expect=0)
        self.assertRegex(proc.stdout, r"^stamp complete: 1 step in \d+ ms; version table: c0000002\n$")
        self.assertEqual(self.versions(), ["c0000002"])
        self.assert_tables(0, 4)
        self.assertEqual([(r[1], r[2], r[3]) for r in self.history()], [("c0000002", "stamp", None)])

        doc, _ = self.retort_json(proj, "stamp", "head")
        self.assertEqual(doc["command"], "stamp")
        self.assertEqual([s["kind"] for s in doc["steps"]], ["stamp"])
        self.assertEqual(doc["steps"][0]["version_changes"],
                         ["UPDATE alembic_version SET version_num='c0000003' "
                          "WHERE alembic_version.version_num = 'c0000002'"])
        self.assertEqual(self.versions(), ["c0000003"])
        self.assert_tables(0, 4)

        # The database believes it is at head: upgrade has nothing to do.
        proc = self.retort(proj, "upgrade", "head", expect=0)
        self.assertIn("Nothing to do", proc.stdout)
        self.assert_tables(0, 4)

        self.retort(proj, "stamp", "base", expect=0)
        self.assertTrue(self.relation_exists("public.alembic_version"))
        self.assertEqual(self.versions(), [])
        self.assert_tables(0, 4)
        self.assertEqual([r[2] for r in self.history()], ["stamp"] * 3)

    def test_stamp_purge(self):
        proj = self.project(linear_chain(4))
        self.retort(proj, "upgrade", "c0000001", expect=0)
        self.db.query("INSERT INTO alembic_version VALUES ('ffffffffffff')")
        # Without --purge the unknown row makes the database unusable.
        proc = self.retort(proj, "stamp", "c0000002", expect=3)
        self.assertIn("ffffffffffff", proc.stderr)
        self.assertEqual(self.versions(), ["c0000001", "ffffffffffff"])
        proc = self.retort(proj, "stamp", "--purge", "c0000002", expect=0)
        self.assertEqual(self.versions(), ["c0000002"])
        self.assert_tables(2, 4)
        self.assertEqual(self.history()[-1][1:3], ("c0000002", "stamp"))

        # --purge on a database without a version table creates it.
        with ScratchDatabase("retort_online") as other:
            self.retort(proj, "stamp", "--purge", "head", url=other.url, expect=0)
            self.assertEqual([r[0] for r in other.query("SELECT version_num FROM alembic_version")],
                             ["c0000003"])
            self.assertEqual(other.query("SELECT to_regclass('public.t_0')"), [(None,)])


class ConfigTablesTest(RetortCase):
    def test_custom_version_table_in_missing_schema(self):
        proj = self.project(linear_chain(3), "version_table: deploy_version\nversion_table_schema: meta\n")
        self.assertEqual(self.db.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'meta'"), [(0,)])
        self.retort(proj, "upgrade", "head", expect=0)
        self.assertEqual(self.versions("meta.deploy_version"), ["c0000002"])
        self.assertFalse(self.relation_exists("public.alembic_version"))
        cons = self.db.query("SELECT conname, contype::text FROM pg_constraint "
                             "WHERE conrelid = 'meta.deploy_version'::regclass")
        self.assertEqual(cons, [("deploy_version_pkc", "p")])
        cols = self.db.query(
            "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
            "WHERE attrelid = 'meta.deploy_version'::regclass AND attnum > 0 AND NOT attisdropped")
        self.assertEqual(cols, [("version_num", "character varying(32)", True)])
        self.assertEqual(len(self.history("meta.retort_history")), 3)
        self.assertFalse(self.relation_exists("public.retort_history"))
        self.assert_tables(3, 3)  # the scripts themselves still run in the default schema

        proc = self.retort(proj, "current", expect=0)
        self.assertEqual(proc.stdout, "c0000002 (head)\n")
        doc, _ = self.retort_json(proj, "downgrade", "-1", confirmed=True)
        self.assertEqual(doc["steps"][0]["version_changes"],
                         ["UPDATE meta.deploy_version SET version_num='c0000001' "
                          "WHERE meta.deploy_version.version_num = 'c0000002'"])
        self.assertEqual(self.versions("meta.deploy_version"), ["c0000001"])
        self.retort(proj, "downgrade", "base", expect=0, confirmed=True)
        self.assertTrue(self.relation_exists("meta.deploy_version"))
        self.assertEqual(self.versions("meta.deploy_version"), [])

    def test_history_table_null(self):
        proj = self.project(linear_chain(2), "history_table: null\n")
        self.retort(proj, "upgrade", "head", expect=0)
        self.retort(proj, "stamp", "c0000000", expect=0)
        self.retort(proj, "downgrade", "base", expect=0, confirmed=True)
        self.assertEqual(self.db.query("SELECT relname FROM pg_class WHERE relname LIKE '%history%'"), [])
        self.assertTrue(self.relation_exists("public.alembic_version"))
        # upgrade ran t_0 and t_1, stamp moved back without scripts, downgrade ran t_0's.
        self.assertEqual([self.relation_exists(f"public.t_{i}") for i in range(2)], [False, True])


class CurrentTest(RetortCase):
    def test_current_on_empty_database_creates_nothing(self):
        proj = self.project(linear_chain(2))
        before = self.snapshot()
        proc = self.retort(proj, "current", expect=0)
        self.assertEqual(proc.stdout, "")
        doc, _ = self.retort_json(proj, "current")
        self.assertEqual(doc["command"], "current")
        self.assertEqual(doc["version_table_rows"], [])
        self.assertEqual(doc["current"], [])
        self.assertFalse(doc["at_all_heads"])
        self.assertEqual(doc["heads_not_applied"], ["c0000001"])
        proc = self.retort(proj, "current", "--check-heads", expect=6)
        self.assertIn("error: Database is not on all head revisions", proc.stderr)
        self.assertFalse(self.relation_exists("public.alembic_version"))
        self.assertFalse(self.relation_exists("public.retort_history"))
        self.assertEqual(self.snapshot(), before)

    def test_current_verbose_header_without_password(self):
        proj = self.project(linear_chain(2))
        secret = "Pw_current_77431"
        url = self.db.url + f" password={secret}"  # accepted and unused: the test server trusts TCP
        self.retort(proj, "upgrade", "+1", url=url, expect=0)
        proc = self.retort(proj, "current", "-v", url=url, expect=0)
        lines = proc.stdout.splitlines()
        port = re.search(r"port=(\d+)", self.db.url).group(1)
        self.assertEqual(lines[0], f"Current revision(s) for postgres@127.0.0.1:{port}/{self.db.name}:")
        self.assertIn("Rev: c0000000", proc.stdout)
        self.assertIn("create t_0", proc.stdout)
        self.assertNotIn(secret, proc.stdout + proc.stderr)
        proc = self.retort(proj, "current", url=url, expect=0)
        self.assertEqual(proc.stdout, "c0000000\n")
        doc, proc = self.retort_json(proj, "current", "-v", url=url)
        self.assertNotIn(secret, proc.stdout + proc.stderr)
        self.assertEqual([c["revision"] for c in doc["current"]], ["c0000000"])

    def test_check_heads(self):
        proj = self.project(linear_chain(3))
        self.retort(proj, "upgrade", "c0000001", expect=0)
        proc = self.retort(proj, "current", "--check-heads", expect=6)
        self.assertEqual(proc.stdout, "c0000001\n")
        self.assertIn("error: Database is not on all head revisions", proc.stderr)
        self.assertIn("c0000002", proc.stderr)
        doc, _ = self.retort_json(proj, "current", "--check-heads", expect=6)
        self.assertEqual(doc["exit_name"], "check-failed")
        self.assertFalse(doc["at_all_heads"])
        self.assertEqual(doc["heads_not_applied"], ["c0000002"])
        # Without --check-heads being behind is fine.
        self.retort(proj, "current", expect=0)

        self.retort(proj, "upgrade", "head", expect=0)
        proc = self.retort(proj, "current", "--check-heads", expect=0)
        self.assertEqual(proc.stdout, "c0000002 (head)\n")
        doc, _ = self.retort_json(proj, "current", "--check-heads", expect=0)
        self.assertEqual(doc["exit_name"], "ok")
        self.assertTrue(doc["at_all_heads"])
        self.assertEqual(doc["version_table_rows"], ["c0000002"])
        self.assertTrue(doc["current"][0]["is_head"])


class DryRunTest(RetortCase):
    def test_upgrade_dry_run_changes_nothing(self):
        proj = self.project(linear_chain(4))
        self.retort(proj, "upgrade", "c0000001", expect=0)
        before = self.snapshot()
        proc = self.retort(proj, "upgrade", "head", "--dry-run", expect=0)
        out = proc.stdout
        self.assertIn("Current heads: c0000001\n", out)
        self.assertIn("Plan: 2 steps\n", out)
        self.assertIn("[1/2] upgrade c0000002 create t_2\n", out)
        self.assertIn("[2/2] upgrade c0000003 create t_3\n", out)
        self.assertIn("versions/c0000002_rev/upgrade.sql:1: CREATE TABLE t_2 (id int PRIMARY KEY, v text)\n", out)
        self.assertIn("versions/c0000002_rev/upgrade.sql:2: INSERT INTO t_2 VALUES (1, 'x')  [ROW EXCLUSIVE on t_2]\n",
                      out)
        self.assertIn("UPDATE alembic_version SET version_num='c0000003' "
                      "WHERE alembic_version.version_num = 'c0000002'\n", out)
        self.assertTrue(out.endswith("Dry run: nothing was changed.\n"))
        self.assertNotIn("t_1", out)
        self.assertEqual(self.snapshot(), before)

        doc, _ = self.retort_json(proj, "upgrade", "head", "--dry-run")
        self.assertEqual(doc["mode"], "dry-run")
        self.assertEqual(doc["exit_name"], "ok")
        self.assertEqual(doc["heads"], ["c0000001"])
        self.assertEqual([p["revision"] for p in doc["plan"]], ["c0000002", "c0000003"])
        self.assertEqual(doc["plan"][0]["statements"],
                         [{"line": 1, "sql": "CREATE TABLE t_2 (id int PRIMARY KEY, v text)",
                           "lock": "NONE", "lock_target": ""},
                          {"line": 2, "sql": "INSERT INTO t_2 VALUES (1, 'x')",
                           "lock": "ROW EXCLUSIVE", "lock_target": "t_2"}])
        self.assertEqual(doc["confirm"], "")
        self.assertEqual(doc["destructive"], [])
        self.assertEqual(doc["plan"][1]["heads_after"], ["c0000003"])
        self.assertEqual(self.snapshot(), before)

    def test_downgrade_dry_run_changes_nothing(self):
        proj = self.project(linear_chain(3))
        self.retort(proj, "upgrade", "head", expect=0)
        before = self.snapshot()
        proc = self.retort(proj, "downgrade", "base", "--dry-run", expect=0)
        self.assertIn("Plan: 3 steps\n", proc.stdout)
        self.assertIn("[1/3] downgrade c0000002 create t_2\n", proc.stdout)
        self.assertIn("versions/c0000000_rev/downgrade.sql:1: DROP TABLE t_0  [ACCESS EXCLUSIVE on t_0]\n",
                      proc.stdout)
        self.assertIn("Confirm with: --confirm public.t_2=1,public.t_1=1,public.t_0=1\n", proc.stdout)
        self.assertIn("DELETE FROM alembic_version WHERE alembic_version.version_num = 'c0000000'\n",
                      proc.stdout)
        doc, _ = self.retort_json(proj, "downgrade", "-1", "--dry-run")
        self.assertEqual(doc["command"], "downgrade")
        self.assertEqual([(p["kind"], p["revision"]) for p in doc["plan"]], [("downgrade", "c0000002")])
        self.assertEqual(doc["plan"][0]["statements"],
                         [{"line": 1, "sql": "DROP TABLE t_2", "lock": "ACCESS EXCLUSIVE", "lock_target": "t_2"}])
        self.assertEqual(doc["confirm"], "public.t_2=1")
        self.assertEqual(self.snapshot(), before)

    def test_dry_run_on_empty_database_creates_nothing(self):
        proj = self.project(linear_chain(2))
        before = self.snapshot()
        proc = self.retort(proj, "upgrade", "head", "--dry-run", expect=0)
        self.assertIn("Current heads: (none)\n", proc.stdout)
        self.assertIn("    INSERT INTO alembic_version (version_num) VALUES ('c0000000')", proc.stdout)
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(self.relation_exists("public.alembic_version"))


class ConfirmTest(RetortCase):
    """SPEC §6: every downgrade that drops something is listed with its live row
    count before anything runs, and runs only with --confirm matching the counts."""

    def chain_at_head(self):
        revs = linear_chain(3)
        revs.append({"id": "c0000003", "down": "c0000002", "message": "add t_0.note",
                     "upgrade": "ALTER TABLE t_0 ADD COLUMN note text;\n"
                                "UPDATE t_0 SET note = 'kept' WHERE id = 1;\n",
                     "downgrade": "ALTER TABLE t_0 DROP COLUMN note;\n"})
        proj = self.project(revs)
        self.retort(proj, "upgrade", "head", expect=0)
        self.db.query("INSERT INTO t_2 SELECT i, 'r' FROM generate_series(2, 5) AS i")  # t_2: 5 rows
        self.db.query("DELETE FROM t_1")                                                 # t_1: 0 rows
        return proj

    def test_downgrade_without_confirm_changes_nothing(self):
        proj = self.chain_at_head()
        before = self.snapshot()
        for fmt in ("text", "json"):
            with self.subTest(fmt=fmt):
                proc = self.retort(proj, "--format", fmt, "downgrade", "base", expect=4)
                self.assertIn("destructive statements need confirmation", proc.stderr)
                self.assertIn("Confirm with: --confirm public.t_0.note=1,public.t_2=5,public.t_1=0,public.t_0=1\n",
                              proc.stderr)
                self.assertIn("    public.t_2 (DROP TABLE, versions/c0000002_rev/downgrade.sql:1): 5 rows\n",
                              proc.stderr)
                self.assertNotIn("[1/4]", proc.stderr, "no step may start")
                if fmt == "json":
                    doc = json.loads(proc.stdout)
                    self.assertEqual((doc["exit_code"], doc["exit_name"]), (4, "refused"))
                    self.assertEqual(doc["steps"], [])
                    self.assertIn("public.t_2=5", doc["error"]["hint"])
                    self.assertEqual(sorted(f["file"] for f in doc["findings"] if f["id"] == "destructive"),
                                     [f"versions/c000000{i}_rev/downgrade.sql" for i in range(4)])
                else:
                    self.assertEqual(proc.stdout, "")
                self.assertEqual(self.snapshot(), before)
                self.assertEqual(self.db.query("SELECT count(*) FROM t_2"), [(5,)])
        # -1 alone: only the column, keyed schema.table.column, counted as its non-NULL values.
        proc = self.retort(proj, "downgrade", "-1", expect=4)
        self.assertIn("Confirm with: --confirm public.t_0.note=1\n", proc.stderr)
        self.assertEqual(self.snapshot(), before)

    def test_wrong_count_is_refused_naming_the_key(self):
        proj = self.chain_at_head()
        self.retort(proj, "downgrade", "c0000002", expect=0, confirmed=True)
        before = self.snapshot()
        for confirm in ("public.t_2=4", "public.t_2=6", "public.t_2=1", "public.t_1=0", "public.t_2=5,public.t_1=1"):
            with self.subTest(confirm=confirm):
                proc = self.retort(proj, "downgrade", "c0000000", "--confirm", confirm, expect=4)
                self.assertIn("--confirm does not match the live row counts", proc.stderr)
                wrong = "public.t_1" if confirm.endswith("t_1=1") else "public.t_2"
                self.assertIn(wrong, proc.stderr.split("error:", 1)[1])
                doc, _ = self.retort_json(proj, "downgrade", "c0000000", "--confirm", confirm, expect=4)
                self.assertIn(wrong, doc["error"]["message"] + doc["error"]["hint"])
                self.assertEqual(doc["steps"], [])
                self.assertEqual(self.snapshot(), before)
        # The dry run checks a reviewed argument the same way.
        proc = self.retort(proj, "downgrade", "c0000000", "--dry-run", "--confirm", "public.t_2=4", expect=4)
        self.assertIn("The run would be refused: --confirm does not match the live row counts", proc.stdout)
        self.assertIn("public.t_2 was confirmed at 4 rows but has 5 now", proc.stdout)
        dry, _ = self.retort_json(proj, "downgrade", "c0000000", "--dry-run", "--confirm", "public.t_2=4", expect=4)
        self.assertIn("public.t_2 was confirmed at 4 rows but has 5 now", dry["confirm_mismatches"])
        self.assertEqual(self.snapshot(), before)

    def test_the_dry_runs_confirm_is_accepted(self):
        proj = self.chain_at_head()
        dry, _ = self.retort_json(proj, "downgrade", "c0000000", "--dry-run")
        self.assertEqual(dry["confirm"], "public.t_0.note=1,public.t_2=5,public.t_1=0")
        self.assertEqual([(d["key"], d["what"], d["rows"], d["revision"], d["line"]) for d in dry["destructive"]],
                         [("public.t_0.note", "DROP COLUMN", 1, "c0000003", 1),
                          ("public.t_2", "DROP TABLE", 5, "c0000002", 1),
                          ("public.t_1", "DROP TABLE", 0, "c0000001", 1)])
        doc, _ = self.retort_json(proj, "downgrade", "c0000000", "--confirm", dry["confirm"])
        self.assertEqual([s["revision"] for s in doc["steps"]], ["c0000003", "c0000002", "c0000001"])
        self.assertEqual(self.versions(), ["c0000000"])
        self.assert_tables(1, 3)
        # The keys in any order.
        self.retort(proj, "upgrade", "head", expect=0)
        self.retort(proj, "downgrade", "c0000001", "--confirm", "public.t_2=1,public.t_0.note=1", expect=0)
        self.assertEqual(self.versions(), ["c0000001"])

    def test_zero_row_table_still_needs_confirming(self):
        proj = self.project(linear_chain(2))
        self.retort(proj, "upgrade", "head", expect=0)
        self.db.query("DELETE FROM t_1")
        before = self.snapshot()
        proc = self.retort(proj, "downgrade", "-1", expect=4)
        self.assertIn("    public.t_1 (DROP TABLE, versions/c0000001_rev/downgrade.sql:1): 0 rows\n", proc.stderr)
        self.assertIn("Confirm with: --confirm public.t_1=0\n", proc.stderr)
        self.assertEqual(self.snapshot(), before)
        self.assertTrue(self.relation_exists("public.t_1"))
        dry, _ = self.retort_json(proj, "downgrade", "-1", "--dry-run")
        self.assertEqual(dry["confirm"], "public.t_1=0")
        self.assertEqual(dry["destructive"][0]["rows"], 0)
        self.retort(proj, "downgrade", "-1", "--confirm", "public.t_1=0", expect=0)
        self.assertEqual(self.versions(), ["c0000000"])
        self.assertFalse(self.relation_exists("public.t_1"))

    def test_an_upgrade_that_drops_nothing_needs_no_confirm(self):
        proj = self.project(linear_chain(2))
        dry, _ = self.retort_json(proj, "upgrade", "head", "--dry-run")
        self.assertEqual((dry["confirm"], dry["destructive"]), ("", []))
        self.retort(proj, "upgrade", "head", expect=0)


class FailureTest(RetortCase):
    def failing_chain(self):
        revs = linear_chain(5)
        revs[2]["upgrade"] = ("CREATE TABLE t_2 (id int);\n"
                              "\n"
                              "INSERT INTO t_2 VALUES (1);\n"
                              "  INSERT INTO missing_table VALUES (1);\n"
                              "CREATE TABLE t_2b (id int);\n")
        return revs

    def assert_stopped_at_c1(self):
        self.assertEqual(self.versions(), ["c0000001"])
        self.assert_tables(2, 5)
        self.assertFalse(self.relation_exists("public.t_2b"))
        self.assertEqual([(r[1], r[2]) for r in self.history()],
                         [("c0000000", "upgrade"), ("c0000001", "upgrade")])

    def test_sql_error_in_the_middle_of_a_chain(self):
        proj = self.project(self.failing_chain())
        proc = self.retort(proj, "upgrade", "head", expect=1)
        self.assertIn("error: versions/c0000002_rev/upgrade.sql:4:15: relation \"missing_table\" does not exist",
                      proc.stderr)
        self.assertIn("42P01", proc.stderr)
        self.assertIn("INSERT INTO missing_table VALUES (1)", proc.stderr)
        progress = [l for l in proc.stderr.splitlines() if l.startswith("[")]
        self.assertEqual(len(progress), 3, proc.stderr)
        self.assertTrue(progress[1].startswith("[2/5] upgrade c0000001 create t_1 … "))
        self.assertEqual(progress[2], "[3/5] upgrade c0000002 create t_2 … failed")
        self.assertEqual(proc.stdout, "")
        self.assert_stopped_at_c1()

        # Fixed script: the run resumes where it stopped.
        (proj / "versions" / "c0000002_rev" / "upgrade.sql").write_text("CREATE TABLE t_2 (id int);\n")
        proc = self.retort(proj, "upgrade", "head", expect=0)
        self.assertIn("upgrade complete: 3 steps", proc.stdout)
        self.assertEqual(self.versions(), ["c0000004"])
        self.assertEqual([r[1] for r in self.history()], [f"c000000{i}" for i in range(5)])

    def test_sql_error_json(self):
        proj = self.project(self.failing_chain())
        doc, proc = self.retort_json(proj, "upgrade", "head", expect=1)
        self.assertEqual(doc["exit_name"], "step-failed")
        self.assertEqual([s["revision"] for s in doc["steps"]], ["c0000000", "c0000001"])
        err = doc["error"]
        self.assertEqual(err["revision"], "c0000002")
        self.assertEqual(err["sqlstate"], "42P01")
        self.assertEqual(err["statement"], "INSERT INTO missing_table VALUES (1)")
        self.assertTrue(err["rolled_back"])
        self.assertTrue(err["message"].startswith("versions/c0000002_rev/upgrade.sql:4:15: "), err["message"])
        self.assertIn("error: versions/c0000002_rev/upgrade.sql:4:15:", proc.stderr)
        self.assert_stopped_at_c1()

    def test_unknown_target(self):
        proj = self.project(linear_chain(3))
        proc = self.retort(proj, "upgrade", "nope", expect=3)
        self.assertIn("nope", proc.stderr)
        self.assertTrue(proc.stderr.startswith("error: "), proc.stderr)
        doc, _ = self.retort_json(proj, "upgrade", "nope", expect=3)
        self.assertEqual(doc["exit_name"], "invalid-project")
        self.retort(proj, "downgrade", "nope", expect=3)
        self.retort(proj, "stamp", "nope", expect=3)
        self.retort(proj, "upgrade", "nope", "--dry-run", expect=3)
        # An ambiguous prefix is an invalid target too.
        proc = self.retort(proj, "upgrade", "c00000", expect=3)
        self.assertIn("c00000", proc.stderr)
        # Nothing was created for a target that does not exist.
        self.assertFalse(self.relation_exists("public.alembic_version"))
        self.assertFalse(self.relation_exists("public.retort_history"))

    def test_database_ahead_of_scripts(self):
        proj = self.project(linear_chain(3))
        self.retort(proj, "upgrade", "c0000001", expect=0)
        self.db.query("UPDATE alembic_version SET version_num = 'ffffffffffff'")
        before = self.snapshot()
        proc = self.retort(proj, "upgrade", "head", expect=3)
        self.assertIn("ffffffffffff", proc.stderr)
        self.assertIn("ahead of these scripts", proc.stderr)
        doc, _ = self.retort_json(proj, "upgrade", "head", expect=3)
        self.assertIn("ahead of these scripts", doc["error"]["message"])
        self.retort(proj, "downgrade", "base", expect=3)
        proc = self.retort(proj, "current", expect=6)
        self.assertIn("ahead of these scripts", proc.stderr)
        self.assertIn("ffffffffffff", proc.stderr)
        doc, _ = self.retort_json(proj, "current", expect=6)
        self.assertEqual(doc["exit_name"], "check-failed")
        self.assertIn("ahead of these scripts", doc["error"]["message"])
        self.assertEqual(self.snapshot(), before)


class UrlTest(RetortCase):
    def test_url_precedence(self):
        with ScratchDatabase("retort_online") as env_db, ScratchDatabase("retort_online") as yaml_db:
            proj = self.project(linear_chain(2), f'database_url: "{yaml_db.url}"\n')

            def heads(db):
                if not db.query("SELECT to_regclass('public.alembic_version') IS NOT NULL")[0][0]:
                    return None
                return [r[0] for r in db.query("SELECT version_num FROM alembic_version")]

            env = {"DATABASE_URL": env_db.url}
            self.retort(proj, "upgrade", "+1", env=env, expect=0)                  # --url wins
            self.assertEqual((heads(self.db), heads(env_db), heads(yaml_db)), (["c0000000"], None, None))
            self.retort(proj, "upgrade", "+1", url="", env=env, expect=0)          # then DATABASE_URL
            self.assertEqual((heads(self.db), heads(env_db), heads(yaml_db)), (["c0000000"], ["c0000000"], None))
            self.retort(proj, "upgrade", "head", url="", expect=0)                 # then the file
            self.assertEqual((heads(self.db), heads(env_db), heads(yaml_db)),
                             (["c0000000"], ["c0000000"], ["c0000001"]))


class ConnectionFailureTest(RetortCase):
    SECRET = "Sentinel_pw_90210"

    COMMANDS = [("upgrade", "head"), ("downgrade", "base"), ("stamp", "head"), ("current",),
                ("current", "-v", "--check-heads"), ("upgrade", "head", "--dry-run"),
                ("downgrade", "-1", "--dry-run")]

    def assert_all_fail(self, proj, url, code, message_part, via="flag"):
        for args in self.COMMANDS:
            for fmt in ("text", "json"):
                with self.subTest(args=args, fmt=fmt, via=via):
                    kw = {}
                    if via == "flag":
                        kw["url"] = url
                    elif via == "env":
                        kw["url"] = ""
                        kw["env"] = {"DATABASE_URL": url}
                    else:
                        kw["url"] = ""
                    proc = self.retort(proj, "--format", fmt, *args, **kw)
                    self.assertEqual(proc.returncode, code, proc.stderr)
                    self.assertNotIn(self.SECRET, proc.stdout + proc.stderr)
                    self.assertIn("error: ", proc.stderr)
                    self.assertIn(message_part, proc.stderr)
                    if fmt == "json":
                        doc = json.loads(proc.stdout)
                        self.assertEqual(doc["exit_code"], code)
                        self.assertEqual(doc["exit_name"], "unreachable")
                    else:
                        self.assertEqual(proc.stdout, "")

    def test_server_down(self):
        proj = self.project(linear_chain(2))
        port = free_port()
        for url in (f"host=127.0.0.1 port={port} user=postgres password={self.SECRET} dbname=x",
                    f"postgresql://postgres:{self.SECRET}@127.0.0.1:{port}/x",
                    f"postgresql+psycopg2://postgres:{self.SECRET}@127.0.0.1:{port}/x"):
            self.assert_all_fail(proj, url, 5, "cannot connect")
        url = f"postgresql://postgres:{self.SECRET}@127.0.0.1:{port}/x"
        self.assert_all_fail(proj, url, 5, "cannot connect", via="env")
        proj2 = self.project(linear_chain(2), f'database_url: "{url}"\n', name="proj2")
        self.assert_all_fail(proj2, url, 5, "cannot connect", via="file")

    def test_bad_url(self):
        proj = self.project(linear_chain(2))
        for url in (f"postgresql://postgres:{self.SECRET}@127.0.0.1:5432/x?nosuchoption=1",
                    f"host=127.0.0.1 password={self.SECRET} garbage",
                    f"postgresql://postgres:{self.SECRET}@127.0.0.1:99999/x",
                    f"postgresql://postgres:{self.SECRET}@127.0.0.1:5432/x?sslmode=bogus"):
            self.assert_all_fail(proj, url, 5, "")
        self.assertFalse(self.relation_exists("public.alembic_version"))


class PasswordCluster:
    """A throwaway PostgreSQL that requires a SCRAM password over TCP."""

    def __init__(self, password):
        self.password = password
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                                check=True).stdout.strip()
        self.initdb = os.path.join(bindir, "initdb")
        self.pg_ctl = os.path.join(bindir, "pg_ctl")
        self.root = os.geteuid() == 0
        self.dir = tempfile.mkdtemp(prefix="pgpw.", dir="/tmp")
        if self.root:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.port = None

    def _as_owner(self, *argv):
        argv = (["runuser", "-u", "postgres", "--"] if self.root else []) + list(argv)
        return subprocess.run(argv, capture_output=True, text=True, cwd="/")

    def start(self):
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        if self.root:
            shutil.chown(pwfile, "postgres", "postgres")
        r = self._as_owner(self.initdb, "-D", self.data, "-U", "postgres", "-E", "UTF8", "--locale=C",
                           "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}",
                           "--no-sync")
        os.unlink(pwfile)
        if r.returncode != 0:
            raise RuntimeError("initdb failed: " + r.stdout + r.stderr)
        for _ in range(5):
            port = free_port()
            r = self._as_owner(self.pg_ctl, "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w",
                               "-t", "60", "-o",
                               f"-p {port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                               "start")
            if r.returncode == 0:
                self.port = port
                return self
        raise RuntimeError("pg_ctl start failed: " + r.stdout + r.stderr)

    def stop(self):
        self._as_owner(self.pg_ctl, "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, password, dbname="postgres"):
        return f"host=127.0.0.1 port={self.port} user=postgres password={password} dbname={dbname}"


class PasswordAuthTest(unittest.TestCase):
    PASSWORD = "Correct_Horse_31337"
    WRONG = "Wrong_Battery_42424"

    @classmethod
    def setUpClass(cls):
        cls.cluster = PasswordCluster(cls.PASSWORD).start()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="retort_e2e_")
        self.addCleanup(tmp.cleanup)
        self.proj = Path(tmp.name) / "proj"
        write_project(self.proj, linear_chain(2))

    def test_the_cluster_really_checks_passwords(self):
        with self.assertRaises(psycopg2.OperationalError):
            psycopg2.connect(self.cluster.url(self.WRONG)).close()
        psycopg2.connect(self.cluster.url(self.PASSWORD)).close()

    def test_wrong_password(self):
        urls = [self.cluster.url(self.WRONG),
                f"postgresql://postgres:{self.WRONG}@127.0.0.1:{self.cluster.port}/postgres",
                f"postgresql://postgres:{self.WRONG}@127.0.0.1:{self.cluster.port}/postgres?sslmode=disable"]
        for url in urls:
            for args in ConnectionFailureTest.COMMANDS:
                for fmt in ("text", "json"):
                    with self.subTest(url=url, args=args, fmt=fmt):
                        proc = run_retort("--format", fmt, *args, url=url, cwd=self.proj)
                        self.assertEqual(proc.returncode, 5, proc.stderr)
                        self.assertIn("password authentication failed", proc.stderr)
                        self.assertNotIn(self.WRONG, proc.stdout + proc.stderr)
                        if fmt == "json":
                            doc = json.loads(proc.stdout)
                            self.assertEqual((doc["exit_code"], doc["exit_name"]), (5, "unreachable"))
        proc = run_retort("current", cwd=self.proj, env={"DATABASE_URL": urls[1]})
        self.assertEqual(proc.returncode, 5)
        self.assertNotIn(self.WRONG, proc.stdout + proc.stderr)

    def test_right_password_is_never_printed(self):
        admin = psycopg2.connect(self.cluster.url(self.PASSWORD))
        admin.autocommit = True
        dbname = f"pw_{os.getpid()}"
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE {dbname}")
        try:
            url = self.cluster.url(self.PASSWORD, dbname)
            runs = [run_retort("upgrade", "head", url=url, cwd=self.proj),
                    run_retort("--format", "json", "current", "-v", url=url, cwd=self.proj),
                    run_retort("current", "-v", url=url, cwd=self.proj),
                    run_retort("--format", "json", "downgrade", "-1", "--dry-run", url=url, cwd=self.proj),
                    run_retort_confirmed("--format", "json", "downgrade", "-1", url=url, cwd=self.proj),
                    run_retort("upgrade", "nope", url=url, cwd=self.proj)]
            self.assertEqual([r.returncode for r in runs], [0, 0, 0, 0, 0, 3])
            self.assertEqual(runs[4].confirm, "public.t_1=1")
            for r in runs + [runs[4].dry_run]:
                self.assertNotIn(self.PASSWORD, r.stdout + r.stderr)
            self.assertIn(f"postgres@127.0.0.1:{self.cluster.port}/{dbname}", runs[2].stdout)
        finally:
            with admin.cursor() as cur:
                cur.execute(f"DROP DATABASE {dbname} WITH (FORCE)")
            admin.close()


if __name__ == "__main__":
    unittest.main()
