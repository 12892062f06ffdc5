"""End to end: SIGKILL `retort upgrade head` at random moments (seeded) and
check that the database is always exactly at one revision (SPEC §5: one
transaction per step, the version row moved in the same transaction), then
that a rerun finishes the job."""
import json
import os
import random
import signal
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import harness
from harness import ScratchDatabase, run_retort, write_project

SEED = 20261126
CHAIN = 60
TRIALS = 20


def crash_chain(rng):
    """Each step: real DDL (table, index, a column on the previous table),
    a row, and short sleeps between the statements."""
    revs = []
    for i in range(CHAIN):
        a = rng.uniform(0.005, 0.015)
        b = rng.uniform(0.005, 0.015)
        up = [f"CREATE TABLE t_{i} (id int PRIMARY KEY, v text);",
              f"SELECT pg_sleep({a:.3f});",
              f"CREATE INDEX ix_{i} ON t_{i} (v);"]
        down = [f"DROP TABLE t_{i};"]
        if i > 0:
            up.append(f"ALTER TABLE t_{i - 1} ADD COLUMN next_{i} int;")
            down.insert(0, f"ALTER TABLE t_{i - 1} DROP COLUMN next_{i};")
        up += [f"INSERT INTO t_{i} VALUES (1, 'x');", f"SELECT pg_sleep({b:.3f});"]
        revs.append({"id": f"k{i:07d}", "down": revs[-1]["id"] if revs else None,
                     "upgrade": "\n".join(up) + "\n", "downgrade": "\n".join(down) + "\n",
                     "message": f"step {i}"})
    return revs


# One row per object a step makes, so the schema can be compared with the
# one of a revision in a single query.
SCHEMA_SQL = r"""
SELECT 'table ' || relname FROM pg_class
 WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname ~ '^t_\d+$'
UNION ALL
SELECT 'index ' || relname FROM pg_class
 WHERE relnamespace = 'public'::regnamespace AND relkind = 'i' AND relname ~ '^ix_\d+$'
UNION ALL
SELECT 'column ' || c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'public'::regnamespace AND c.relname ~ '^t_\d+$' AND a.attname ~ '^next_\d+$'
   AND NOT a.attisdropped
"""


def expected_schema(k):
    """The objects of revisions k0000000..k (k = -1: none)."""
    objs = set()
    for i in range(k + 1):
        objs |= {f"table t_{i}", f"index ix_{i}"}
        if i > 0:
            objs.add(f"column t_{i - 1}.next_{i}")
    return objs


class CrashTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="retort_e2e_")
        self.addCleanup(tmp.cleanup)
        self.proj = Path(tmp.name) / "proj"
        write_project(self.proj, crash_chain(random.Random(SEED)), "lock_wait: 5s\n")

    def wait_for_backends_gone(self, db):
        """Until the killed runner's session has ended (and rolled back)."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if db.query("SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()") == [(0,)]:
                return
            time.sleep(0.02)
        self.fail("the killed runner's backend did not go away")

    def state(self, db):
        """(k, objects, history revisions) of the database: k = -1 at base."""
        if db.query("SELECT to_regclass('public.alembic_version')") == [(None,)]:
            rows = []
        else:
            rows = [r[0] for r in db.query("SELECT version_num FROM alembic_version")]
        self.assertLessEqual(len(rows), 1, rows)
        k = int(rows[0][1:]) if rows else -1
        objects = {r[0] for r in db.query(SCHEMA_SQL)}
        if db.query("SELECT to_regclass('public.retort_history')") == [(None,)]:
            history = []
        else:
            history = [tuple(r) for r in db.query("SELECT revision, direction FROM retort_history ORDER BY id")]
        return k, objects, history

    def assert_exactly_at(self, db, k):
        got_k, objects, history = self.state(db)
        self.assertEqual(got_k, k)
        self.assertEqual(objects, expected_schema(k))
        self.assertEqual(history, [(f"k{i:07d}", "upgrade") for i in range(k + 1)])
        for i in range(k + 1):
            self.assertEqual(db.query(f"SELECT count(*) FROM t_{i}"), [(1,)], f"t_{i}")

    def rerun_to_head(self, db, k):
        proc = run_retort("--format", "json", "upgrade", "head", url=db.url, cwd=self.proj)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        doc = json.loads(proc.stdout)
        self.assertEqual(doc["heads_before"], [f"k{k:07d}"] if k >= 0 else [])
        self.assertEqual([s["revision"] for s in doc["steps"]], [f"k{i:07d}" for i in range(k + 1, CHAIN)])
        self.assert_exactly_at(db, CHAIN - 1)

    def test_sigkill_at_random_moments(self):
        rng = random.Random(SEED + 1)
        # Calibration: how long an uninterrupted run takes here (the faster
        # of two; the first run on a fresh server is the slower one).
        runs = []
        for _ in range(2):
            with ScratchDatabase("retort_crash") as db:
                t0 = time.monotonic()
                self.rerun_to_head(db, -1)
                runs.append(time.monotonic() - t0)
        full = min(runs)
        killed_mid_run = 0
        levels = []
        attempts = 0
        # Keep going until TRIALS runs were really killed mid-run: on a busy
        # machine a run can finish before its moment comes, so such an
        # attempt does not count and the next moments come earlier.
        while killed_mid_run < TRIALS and attempts < TRIALS * 3:
            attempts += 1
            with self.subTest(attempt=attempts), ScratchDatabase("retort_crash") as db:
                delay = rng.uniform(0, full * 0.9)
                proc = subprocess.Popen([harness.RETORT, f"--url={db.url}", "upgrade", "head"], cwd=self.proj,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"})
                time.sleep(delay)
                if proc.poll() is None:
                    killed_mid_run += 1
                    proc.send_signal(signal.SIGKILL)
                else:
                    full *= 0.8
                proc.wait(timeout=30)
                self.wait_for_backends_gone(db)

                k, _, _ = self.state(db)
                levels.append(k)
                self.assert_exactly_at(db, k)
                self.rerun_to_head(db, k)
        # The trials really interrupted runs, at many different places.
        self.assertEqual(TRIALS, killed_mid_run, levels)
        self.assertGreaterEqual(len(set(levels)), TRIALS // 2, levels)
        self.assertGreaterEqual(sum(0 <= k < CHAIN - 1 for k in levels), TRIALS // 2, levels)
        print(f"\ncrash levels (full run {full:.2f} s): {levels}")


if __name__ == "__main__":
    unittest.main()
