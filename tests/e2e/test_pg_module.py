"""End to end: the binary reaches libpq only through libretort-pg.so, which
it loads when a command connects (include/retort/db/pg_module.h): commands
that never connect work without it, and a command that needs it fails with
exit 5 naming the path."""
import json
import subprocess
import tempfile
import unittest
from pathlib import Path

import harness
from harness import ScratchDatabase, linear_chain, run_retort, write_project


class PgModuleTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = Path(self._tmp.name)
        self.config = write_project(self.tmp / "project", linear_chain(3))
        self.missing = str(self.tmp / "nowhere" / "libretort-pg.so")

    def tearDown(self):
        self._tmp.cleanup()

    def test_the_binary_does_not_link_libpq(self):
        out = subprocess.run(["ldd", harness.RETORT], capture_output=True, text=True, check=True).stdout
        for lib in ("libpq.so", "libpqxx", "libkrb5", "libldap", "libgnutls"):
            self.assertNotIn(lib, out)

    def test_commands_that_do_not_connect_need_no_module(self):
        env = {"RETORT_PG_MODULE": self.missing}
        for args in (["heads"], ["history"], ["upgrade", "base:head", "--sql"], ["lint"]):
            proc = run_retort("-c", self.config, *args, env=env)
            self.assertEqual(0, proc.returncode, f"{args}: {proc.stderr}")

    def test_a_command_that_connects_without_the_module_is_exit_5_naming_it(self):
        proc = run_retort("-c", self.config, "current", url="host=127.0.0.1 dbname=x",
                          env={"RETORT_PG_MODULE": self.missing})
        self.assertEqual(5, proc.returncode, proc.stderr)
        self.assertEqual(f"error: cannot load the PostgreSQL module: not found (looked for {self.missing})\n"
                         "hint: the module is part of retort: reinstall it, or set RETORT_PG_MODULE to the "
                         "path of libretort-pg.so\n", proc.stderr)
        proc = run_retort("-c", self.config, "--format", "json", "upgrade", "head", url="host=127.0.0.1 dbname=x",
                          env={"RETORT_PG_MODULE": self.missing})
        self.assertEqual(5, proc.returncode, proc.stderr)
        self.assertEqual("unreachable", json.loads(proc.stdout)["exit_name"])

    def test_a_file_that_is_no_module_is_exit_5_with_the_loaders_reason(self):
        bogus = self.tmp / "libretort-pg.so"
        bogus.write_text("not an ELF file\n")
        proc = run_retort("-c", self.config, "current", url="host=127.0.0.1 dbname=x",
                          env={"RETORT_PG_MODULE": str(bogus)})
        self.assertEqual(5, proc.returncode, proc.stderr)
        self.assertIn(f"error: cannot load the PostgreSQL module {bogus}: ", proc.stderr)

    def test_version_still_prints_without_the_module(self):
        proc = run_retort("--version", env={"RETORT_PG_MODULE": self.missing})
        self.assertEqual(0, proc.returncode, proc.stderr)
        lines = proc.stdout.splitlines()
        self.assertTrue(lines[0].startswith("retort "), proc.stdout)
        self.assertEqual(f"libpq unavailable: cannot load the PostgreSQL module: not found (looked for "
                         f"{self.missing})", lines[1])
        proc = run_retort("--version")
        self.assertRegex(proc.stdout.splitlines()[1], r"^libpq \d+\.\d+$")

    def test_errors_thrown_in_the_module_keep_their_exit_code(self):
        # Exceptions cross from the module into the binary's handler: a
        # server that is not there is still exit 5, a failing step exit 1.
        proc = run_retort("-c", self.config, "current", url="host=127.0.0.1 port=1 dbname=x connect_timeout=2")
        self.assertEqual(5, proc.returncode, proc.stderr)
        self.assertIn("error: cannot connect to", proc.stderr)
        failing = write_project(self.tmp / "failing", [{
            "id": "f1", "down": None,
            "upgrade": "CREATE TABLE t_f (id int PRIMARY KEY);\nSELECT 1/0;\n",
            "downgrade": "DROP TABLE t_f;\n"}])
        with ScratchDatabase() as db:
            proc = run_retort("-c", failing, "upgrade", "head", url=db.url)
            self.assertEqual(1, proc.returncode, proc.stderr)
            self.assertIn("division by zero", proc.stderr)


if __name__ == "__main__":
    unittest.main()
