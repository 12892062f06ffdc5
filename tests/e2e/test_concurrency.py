"""End to end: several retort runners on one database at once (SPEC §5: the
run lock is a session advisory lock held for the whole run, with a bounded
wait that names the holder)."""
import contextlib
import json
import os
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import psycopg2

import harness
from harness import ScratchDatabase, linear_chain, run_retort, write_project

RUNNERS = 8
CHAIN = 50


def run_lock_key(schema, table):
    """FNV-1a 64 of "retort:<schema>.<table>" as a signed bigint."""
    h = 0xcbf29ce484222325
    for b in f"retort:{schema}.{table}".encode():
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h - (1 << 64) if h >= (1 << 63) else h


def start_retort(*args, url, cwd):
    return subprocess.Popen([harness.RETORT, f"--url={url}"] + [str(a) for a in args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"})


class ConcurrencyCase(unittest.TestCase):
    def setUp(self):
        self.stack = contextlib.ExitStack()
        self.addCleanup(self.stack.close)
        self.db = self.stack.enter_context(ScratchDatabase("retort_conc"))
        self.tmp = Path(self.stack.enter_context(tempfile.TemporaryDirectory(prefix="retort_e2e_")))
        self.procs = []
        self.addCleanup(self.reap)

    def reap(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.communicate()

    def start(self, proj, *args):
        p = start_retort(*args, url=self.db.url, cwd=proj)
        self.procs.append(p)
        return p


def sleepy_chain():
    """linear_chain(CHAIN) with 10 ms per step, so that the run outlasts the start of all runners."""
    revs = linear_chain(CHAIN)
    for r in revs:
        r["upgrade"] += "SELECT pg_sleep(0.01);\n"
    return revs


class ManyRunnersTest(ConcurrencyCase):
    def run_many(self, proj, version_table):
        procs = [self.start(proj, "--format", "json", "upgrade", "head") for _ in range(RUNNERS)]
        docs = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, f"stdout:\n{out}\nstderr:\n{err}")
            docs.append(json.loads(out))
        head = f"c{CHAIN - 1:07d}"
        # Every step reported by exactly one runner: the one that got the lock first
        # did them all; the others waited, re-read the heads and found nothing to do.
        applied = [s["revision"] for d in docs for s in d["steps"]]
        self.assertEqual(sorted(applied), [f"c{i:07d}" for i in range(CHAIN)])
        workers = [d for d in docs if d["steps"]]
        self.assertEqual(len(workers), 1, [len(d["steps"]) for d in docs])
        self.assertEqual(workers[0]["heads_before"], [])
        for d in docs:
            self.assertEqual(d["heads_after"], [head])
            if not d["steps"]:
                self.assertEqual(d["heads_before"], [head])

        self.assertEqual([r[0] for r in self.db.query(f"SELECT version_num FROM {version_table}")], [head])
        history_table = version_table.rsplit(".", 1)[0] + ".retort_history"
        counts = self.db.query(f"SELECT revision, direction, count(*) FROM {history_table} "
                               "GROUP BY 1, 2 ORDER BY 1")
        self.assertEqual(counts, [(f"c{i:07d}", "upgrade", 1) for i in range(CHAIN)])
        for i in range(CHAIN):
            self.assertEqual(self.db.query(f"SELECT count(*) FROM t_{i}"), [(1,)], f"t_{i}")
        # The lock is gone with the runners.
        self.assertEqual(self.db.query(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"), [(0,)])

    def test_eight_runners_apply_each_step_once(self):
        proj = self.tmp / "proj"
        write_project(proj, sleepy_chain())
        self.run_many(proj, "public.alembic_version")

    def test_eight_runners_create_the_schema_once(self):
        proj = self.tmp / "proj"
        write_project(proj, sleepy_chain(), "version_table: deploy_version\nversion_table_schema: meta\n")
        self.run_many(proj, "meta.deploy_version")


class LockWaitTest(ConcurrencyCase):
    def slow_project(self):
        revs = linear_chain(3)
        revs[1]["upgrade"] = ("CREATE TABLE t_1 (id int PRIMARY KEY, v text);\n"
                              "INSERT INTO t_1 VALUES (1, 'x');\n"
                              "SELECT pg_sleep(5);\n")
        proj = self.tmp / "proj"
        write_project(proj, revs, "lock_wait: 1s\n")
        (proj / "patient.yaml").write_text("version_locations: [versions]\nlock_wait: 60s\n")
        return proj

    def wait_for_sleeper(self, proc):
        """Backend pid of the runner once it is inside pg_sleep."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self.assertIsNone(proc.poll(), "the slow runner ended early")
            rows = self.db.query("SELECT pid, application_name FROM pg_stat_activity "
                                 "WHERE datname = current_database() AND query LIKE '%pg_sleep(5)%' "
                                 "AND pid <> pg_backend_pid()")
            if rows:
                return rows[0]
            time.sleep(0.05)
        self.fail("the slow runner never reached pg_sleep")

    def test_second_runner_times_out_naming_the_holder(self):
        proj = self.slow_project()
        slow = self.start(proj, "upgrade", "head")
        pid, app = self.wait_for_sleeper(slow)
        self.assertEqual(app, "retort")
        # The holder's lock is the documented key on public.alembic_version.
        key = run_lock_key("public", "alembic_version")
        held = self.db.query(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid = ((%s::bigint >> 32) & 4294967295)::bigint::oid "
            "AND objid = (%s::bigint & 4294967295)::bigint::oid", (key, key))
        self.assertEqual(held, [(pid,)])

        patient = self.start(proj, "-c", "patient.yaml", "--format", "json", "upgrade", "head")
        t0 = time.monotonic()
        proc = run_retort("upgrade", "head", url=self.db.url, cwd=proj)
        elapsed = time.monotonic() - t0
        self.assertEqual(proc.returncode, 5, proc.stderr)
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 4.0)
        self.assertIn("could not take the run lock", proc.stderr)
        self.assertIn(f"pid {pid} ", proc.stderr)
        self.assertIn("application_name 'retort'", proc.stderr)
        self.assertEqual(proc.stdout, "")

        proc = run_retort("--format", "json", "upgrade", "head", url=self.db.url, cwd=proj)
        self.assertEqual(proc.returncode, 5, proc.stderr)
        doc = json.loads(proc.stdout)
        self.assertEqual((doc["exit_code"], doc["exit_name"]), (5, "unreachable"))
        self.assertIn(f"pid {pid} ", doc["error"]["message"])
        self.assertIn("application_name 'retort'", doc["error"]["message"])

        # The runners that timed out changed nothing; the slow one finishes alone.
        out, err = slow.communicate(timeout=60)
        self.assertEqual(slow.returncode, 0, err)
        self.assertIn("upgrade complete: 3 steps", out)
        # The patient runner waited for it, then found nothing to do.
        out, err = patient.communicate(timeout=60)
        self.assertEqual(patient.returncode, 0, err)
        doc = json.loads(out)
        self.assertEqual(doc["steps"], [])
        self.assertEqual(doc["heads_before"], ["c0000002"])
        self.assertEqual(self.db.query("SELECT revision, count(*) FROM retort_history GROUP BY 1 ORDER BY 1"),
                         [("c0000000", 1), ("c0000001", 1), ("c0000002", 1)])

    def test_lock_held_by_another_client(self):
        """Any session holding the documented key keeps retort out."""
        proj = self.tmp / "proj"
        write_project(proj, linear_chain(2), "lock_wait: 1s\n")
        holder = psycopg2.connect(self.db.url + " application_name=deploy_gate")
        holder.autocommit = True
        try:
            with holder.cursor() as cur:
                cur.execute("SELECT pg_advisory_lock(%s), pg_backend_pid()",
                            (run_lock_key("public", "alembic_version"),))
                holder_pid = cur.fetchone()[1]
            proc = run_retort("upgrade", "head", url=self.db.url, cwd=proj)
            self.assertEqual(proc.returncode, 5, proc.stderr)
            self.assertIn(f"pid {holder_pid} (application_name 'deploy_gate')", proc.stderr)
            self.assertIn("public.alembic_version", proc.stderr)
            self.assertEqual(self.db.query("SELECT to_regclass('public.alembic_version')"), [(None,)])
            # A lock on another key (another version table) does not get in the way.
            with holder.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", (run_lock_key("public", "alembic_version"),))
                cur.execute("SELECT pg_advisory_lock(%s)", (run_lock_key("public", "other_version"),))
            proc = run_retort("upgrade", "head", url=self.db.url, cwd=proj)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(self.db.query("SELECT version_num FROM alembic_version"), [("c0000001",)])
        finally:
            holder.close()


if __name__ == "__main__":
    unittest.main()
