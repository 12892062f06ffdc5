"""The destructive confirmation typed on a terminal (SPEC §6): without
--confirm, on a TTY, retort lists the targets with their live row counts and
asks; only "yes" runs the step. Run on a pseudo-terminal against a real
PostgreSQL."""

import os
import pty
import select
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from harness import RETORT, ScratchDatabase, write_project


def run_on_tty(args, cwd, answer, timeout=60):
    """Runs retort with stdin/stdout/stderr on a pseudo-terminal, types
    `answer` once the prompt appears; returns (exit code, everything shown)."""
    master, slave = pty.openpty()
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([RETORT, *args], cwd=cwd, stdin=slave, stdout=slave, stderr=slave, env=env,
                            close_fds=True)
    os.close(slave)
    shown, answered = b"", False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        if not answered and b"Type 'yes'" in shown:
            os.write(master, answer.encode() + b"\n")
            answered = True
        if proc.poll() is not None and not ready:
            break
    code = proc.wait(timeout=timeout)
    os.close(master)
    return code, shown.decode(errors="replace")


class ConfirmOnTtyTest(unittest.TestCase):
    def setUp(self):
        self.db = ScratchDatabase("retort_tty")
        self.db.__enter__()
        self.addCleanup(self.db.__exit__, None, None, None)
        tmp = tempfile.TemporaryDirectory(prefix="retort_tty_")
        self.addCleanup(tmp.cleanup)
        self.proj = Path(tmp.name) / "proj"
        write_project(self.proj, [{"id": "a1", "down": None,
                                   "upgrade": "CREATE TABLE notes (id int PRIMARY KEY);\n",
                                   "downgrade": "DROP TABLE notes;\n"}])
        self.url = f"--url={self.db.url}"
        code, shown = run_on_tty([self.url, "upgrade", "head"], self.proj, "")
        self.assertEqual(code, 0, shown)
        self.db.query("INSERT INTO notes SELECT generate_series(1, 7)")

    def test_only_yes_runs_the_destructive_step(self):
        code, shown = run_on_tty([self.url, "downgrade", "base"], self.proj, "no")
        self.assertEqual(code, 4, shown)
        self.assertIn("public.notes (DROP TABLE, versions/a1_rev/downgrade.sql:1): 7 rows", shown)
        self.assertIn("were not confirmed", shown)
        self.assertEqual(self.db.query("SELECT count(*) FROM notes"), [(7,)])

        code, shown = run_on_tty([self.url, "downgrade", "base"], self.proj, "yes")
        self.assertEqual(code, 0, shown)
        self.assertEqual(self.db.query("SELECT to_regclass('public.notes') IS NULL"), [(True,)])


if __name__ == "__main__":
    unittest.main()
