#!/usr/bin/python3
"""Helper of bench/bench_graph.sh.

    gen_graph_projects.py generate OUT N [--seed S]
        Write one revision graph of N revisions twice, as an Alembic project
        (OUT/alembic/alembic.ini) and as a retort project (OUT/retort/retort.yaml),
        with tests/differential/project_writer.py. The graph is mostly linear;
        now and then a side branch of a few revisions runs beside the trunk and a
        merge revision joins them again; some side branches carry a branch label
        and a few revisions a depends_on. Same seed, same graph.

    gen_graph_projects.py table RESULTS_DIR
        Print the Markdown table of the results that bench_graph.sh left in
        RESULTS_DIR (hyperfine JSON files and peak-RSS files), then the goals.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "differential"))

COMMANDS = ["heads", "history", "upgrade base:head --sql"]


def make_graph(n: int, seed: int):
    from project_writer import Rev  # imported late: `table` does not need it

    rng = random.Random(seed)
    ids: set[str] = set()

    def new_id() -> str:
        while True:
            i = f"{rng.getrandbits(48):012x}"
            if i not in ids:
                ids.add(i)
                return i

    revs: list[Rev] = []
    minute = 0

    def add(down: list[str], message: str, **kw) -> str:
        nonlocal minute
        minute += 7
        day, rest = divmod(minute, 24 * 60)
        date = f"20{20 + day // 360:02d}-{1 + day % 360 // 30:02d}-{1 + day % 30:02d} " \
               f"{rest // 60:02d}:{rest % 60:02d}:00"
        r = Rev(id=new_id(), down=down, message=message, create_date=date, **kw)
        revs.append(r)
        return r.id

    head = add([], "initial schema")
    branches = 0
    while len(revs) < n:
        left = n - len(revs)
        if left >= 10 and rng.random() < 0.04:
            # A side branch of 2-4 revisions beside 1-3 trunk revisions, then a merge.
            branches += 1
            fork = head
            labels = [f"feature{branches}"] if branches % 10 == 0 else []
            side = add([fork], f"feature {branches} step 1", labels=labels)
            for k in range(rng.randint(1, 3)):
                side = add([side], f"feature {branches} step {k + 2}")
            trunk = fork
            for k in range(rng.randint(1, 3)):
                trunk = add([trunk], f"trunk change {len(revs)}")
            head = add([trunk, side], f"merge feature {branches}")
        else:
            depends = []
            if len(revs) > 20 and rng.random() < 0.01:
                depends = [revs[rng.randrange(len(revs) // 2)].id]
            head = add([head], f"change {len(revs)}", depends_on=depends)
    assert len(revs) == n
    return revs


def cmd_generate(args) -> None:
    from project_writer import write_alembic_project, write_retort_project

    out = Path(args.out)
    revs = make_graph(args.n, args.seed)
    write_alembic_project(out / "alembic", revs)
    write_retort_project(out / "retort", revs)
    merges = sum(1 for r in revs if len(r.down) > 1)
    print(f"generated {len(revs)} revisions ({merges} merges) in {out}", file=sys.stderr)


def _mean(path: Path):
    if not path.exists():
        return None
    return json.loads(path.read_text())["results"][0]["mean"]


def _cpu(path: Path):
    if not path.exists():
        return None
    r = json.loads(path.read_text())["results"][0]
    return r["user"] + r["system"]


def _peak_mb(path: Path):
    if not path.exists():
        return None
    return int(path.read_text().split()[-1]) / 1024.0


def _fmt_time(s) -> str:
    if s is None:
        return "—"
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def cmd_table(args) -> None:
    res = Path(args.results)
    sizes = sorted(int(p.name.split("-")[1]) for p in res.glob("size-*"))
    small, large = (sizes[0], sizes[-1]) if sizes else (0, 0)

    def key(tool, n, i):
        return res / f"size-{n}" / f"{tool}-{i}"

    growth_head = f"growth {small:,}→{large:,}" if large != small else "growth"
    print(f"| tool | revisions | command | mean time | CPU (user+sys) | speed-up vs Alembic | "
          f"{growth_head} | peak MB |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    goals = []
    for tool in ["retort", "alembic"]:
        for n in sizes:
            for i, cmd in enumerate(COMMANDS):
                mean = _mean(key(tool, n, i).with_suffix(".json"))
                if mean is None:
                    continue
                speedup = growth = "—"
                alembic = _mean(key("alembic", n, i).with_suffix(".json"))
                if tool == "retort" and alembic:
                    speedup = f"{alembic / mean:.0f}×"
                    if n == small:
                        goals.append((f"retort `{cmd}` ≥30× faster than Alembic at {n:,}",
                                      alembic / mean >= 30, f"{alembic / mean:.0f}×"))
                base = _mean(key(tool, small, i).with_suffix(".json"))
                if n == large and n != small and base:
                    growth = f"{mean / base:.1f}×"
                    if tool == "retort":
                        goals.append((f"retort `{cmd}` grows ≤6× from {small:,} to {n:,}",
                                      mean / base <= 6, growth))
                peak = _peak_mb(key(tool, n, i).with_suffix(".rss"))
                peak_s = "—" if peak is None else f"{peak:.1f}"
                if tool == "retort" and n == large and peak is not None:
                    goals.append((f"retort `{cmd}` peak memory <50 MB at {n:,}", peak < 50,
                                  f"{peak:.1f} MB"))
                cpu = _cpu(key(tool, n, i).with_suffix(".json"))
                print(f"| {tool} | {n:,} | `{cmd}` | {_fmt_time(mean)} | {_fmt_time(cpu)} | {speedup} | "
                      f"{growth} | {peak_s} |")
    print()
    for text, ok, value in goals:
        print(f"- {'PASS' if ok else 'FAIL'}: {text} ({value})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("out")
    g.add_argument("n", type=int)
    g.add_argument("--seed", type=int, default=20261126)
    t = sub.add_parser("table")
    t.add_argument("results")
    args = p.parse_args()
    {"generate": cmd_generate, "table": cmd_table}[args.cmd](args)


if __name__ == "__main__":
    main()
