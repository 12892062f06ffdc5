#!/usr/bin/python3
"""Run many Alembic commands in ONE Python process and record their output.

Importing Alembic and SQLAlchemy costs a few hundred milliseconds, so the
differential test runs every command of a project (or of many projects) here,
through Alembic's own command line entry point
``alembic.config.CommandLine().main(argv=[...])``, capturing what it writes.

    run_alembic.py --ini PATH/alembic.ini COMMANDS.json OUT.json
        COMMANDS.json: a JSON list of argv lists (without -c), e.g. [["heads"], ["show", "1a2b"]]
        OUT.json:      a JSON list of {"argv", "stdout", "stderr", "exit"}
    run_alembic.py --batch JOBS.json OUT.json
        JOBS.json:     a JSON list of {"ini": PATH, "commands": [argv, ...]}
        OUT.json:      a JSON list (one per job) of lists of results as above

Each argv is run as ``alembic -c <ini> <argv...>``.  A CommandError makes
Alembic print ``FAILED: <msg>`` on stdout and exit 255 (sys.exit(-1)); an
argparse usage error exits 2; any other exception is recorded with exit 1 and
its traceback on stderr (as the real ``alembic`` script would do).

Python's string hashing is randomised by PYTHONHASHSEED, and Alembic iterates
sets in places that show in its output, so the driver runs this script under
several seeds; this script itself does nothing seed-specific.

Use /usr/bin/python3 (Debian's, with python3-alembic 1.8.1).
"""

from __future__ import annotations

import io
import os
import json
import sys
import time
import traceback
import warnings


class _Capture(io.TextIOBase):
    """A text stream whose contents can be taken and reset between commands.

    It is installed as sys.stdout/sys.stderr BEFORE Alembic is imported,
    because alembic.config.Config binds ``stdout=sys.stdout`` as a default
    argument at import time.
    """

    encoding = "utf-8"
    errors = "strict"

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self._parts.append(s)
        return len(s)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def take(self) -> str:
        text = "".join(self._parts)
        self._parts = []
        return text


_OUT = _Capture()
_ERR = _Capture()
_REAL_STDERR = sys.stderr
sys.stdout = _OUT
sys.stderr = _ERR

import alembic  # noqa: E402
import alembic.util.messaging  # noqa: E402
from alembic.config import CommandLine  # noqa: E402
from alembic.script.base import Script  # noqa: E402

# No terminal wrapping/indentation of "FAILED: ..." whatever fd 0 is.
alembic.util.messaging.TERMWIDTH = None

# Pin Alembic's listing of the versions directory to lexical order.
# Script._list_py_dir returns os.listdir(), whose order is arbitrary (it
# depends on the filesystem).  Alembic's revision map is an OrderedDict
# filled in that order, and that order shows in its output wherever ties are
# broken by it (the order of heads, of independent branches in a plan, of
# partial-id candidates).  SPEC §2 says retort reads revision folders in
# lexical order in exactly those places; sorting the listing here removes the
# OS's arbitrary order and changes no traversal logic of Alembic.
_unsorted_list_py_dir = Script._list_py_dir


def _sorted_list_py_dir(cls, scriptdir, path):
    return sorted(_unsorted_list_py_dir(scriptdir, path))


Script._list_py_dir = classmethod(_sorted_list_py_dir)

# Speed only: every command re-imports every revision file (and env.py).
# The files do not change while this process runs, so reuse the module
# object loaded for the same (path, size, mtime).  Alembic only reads module
# attributes (revision, down_revision, __doc__, ...), never mutates them.
_unc_load_python_file = alembic.util.load_python_file
_module_cache: dict = {}


def _cached_load_python_file(dir_, filename):
    path = os.path.join(dir_, filename)
    if os.path.basename(filename) == "env.py":  # env.py runs code: never cache
        return _unc_load_python_file(dir_, filename)
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns)
    mod = _module_cache.get(key)
    if mod is None:
        mod = _module_cache[key] = _unc_load_python_file(dir_, filename)
    return mod


alembic.util.load_python_file = _cached_load_python_file

# Show every warning every time (the default filter shows each only once).
warnings.simplefilter("always")


def _exit_code(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code % 256
    return 1


_CLI = None


def run_one(ini: str, argv: list[str]) -> dict:
    # One CommandLine (its argparse parser takes ~8 ms to build) serves every
    # command; CommandLine.main() makes a fresh Config for each argv.
    global _CLI
    if _CLI is None:
        _CLI = CommandLine(prog="alembic")
    _OUT.take()
    _ERR.take()
    code = 0
    t0 = time.perf_counter()
    try:
        _CLI.main(argv=["-c", ini, *argv])
    except SystemExit as e:
        code = _exit_code(e.code)
    except Exception:  # what the alembic script would print before dying
        traceback.print_exc(file=_ERR)
        code = 1
    return {"argv": list(argv), "stdout": _OUT.take(), "stderr": _ERR.take(), "exit": code,
            "seconds": round(time.perf_counter() - t0, 4)}


def run_many(ini: str, commands: list[list[str]]) -> list[dict]:
    return [run_one(ini, argv) for argv in commands]


def main(args: list[str]) -> int:
    try:
        if len(args) == 4 and args[0] == "--ini":
            ini, cmd_file, out_file = args[1:]
            with open(cmd_file) as f:
                commands = json.load(f)
            result = run_many(ini, commands)
        elif len(args) == 3 and args[0] == "--batch":
            job_file, out_file = args[1:]
            with open(job_file) as f:
                jobs = json.load(f)
            result = [run_many(job["ini"], job["commands"]) for job in jobs]
        else:
            _REAL_STDERR.write(__doc__)
            return 2
        with open(out_file, "w") as f:
            json.dump(result, f)
        return 0
    except Exception:
        traceback.print_exc(file=_REAL_STDERR)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
