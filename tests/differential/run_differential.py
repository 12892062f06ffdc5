#!/usr/bin/python3
"""Differential test: retort against real Alembic 1.8.1 on many revision graphs.

    /usr/bin/python3 tests/differential/run_differential.py --retort build/retort --work /tmp/diff
        [--seeds N] [--extra-seeds M] [--only NAME[,NAME...]] [--keep] [--alembic-only]

For every graph of graphs.py it writes an Alembic project and a retort project
(project_writer.py), builds a list of commands, runs them all with Alembic
(run_alembic.py, one process per batch of projects, once per PYTHONHASHSEED)
and with retort (one process per command), compares, prints a summary and
writes <work>/report.json.  Exit status 0 only if every case agreed.

See README.md in this directory for the comparison rules.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fnmatch
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from graphs import Graph, Topo, all_graphs  # noqa: E402
from project_writer import write_alembic_project, write_retort_project  # noqa: E402

PYTHON = "/usr/bin/python3"
DROP_VERSION = "DROP TABLE alembic_version;\n\n"
RELATIVE = re.compile(r"(?:(.+?)@)?(\w+)?((?:\+|-)\d+)")   # Alembic's _relative_destination
UNKNOWN_ID = "deadbeef0000"
UNKNOWN_LABEL = "nosuchlabel"
STRICT = False      # --strict: a seed-dependent case must equal one sampled Alembic output


# --------------------------------------------------------------------------
# command selection

def _unique_prefix(rid: str, names: list[str], start: int = 4) -> str | None:
    """Shortest prefix (>= start chars) of rid that no other name starts with."""
    for k in range(start, len(rid)):
        p = rid[:k]
        if sum(1 for n in names if n.startswith(p)) == 1:
            return p
    return None


def commands_for(g: Graph) -> list[list[str]]:
    revs = g.revs
    t = Topo(revs)
    ids = [r.id for r in revs]
    if g.refused_project:
        return [["heads"], ["history"], ["show", ids[0]],
                ["upgrade", "base:heads", "--sql"], *g.extra_commands]
    rng = random.Random("commands:" + g.name)
    labels = list(t.label_rev)
    names = ids + [lab for lab in labels if len(lab) > 3]   # Alembic's partial-id candidates
    merges = [r.id for r in revs if len(r.down) > 1]
    bpoints = [i for i in ids if len(t.children[i]) > 1]
    deps = [r.id for r in revs if r.depends_on]

    def pick(seq, k):
        seq = list(dict.fromkeys(seq))
        return rng.sample(seq, min(k, len(seq)))

    # ancestor/descendant pairs (a below b), preferring ones that cross merges/branches
    pairs = [(a, b) for b in ids for a in sorted(t.ancestors(b))]
    crossing = [(a, b) for (a, b) in pairs
                if any(m in t.descendants(a) and (m == b or m in t.ancestors(b))
                       for m in merges + bpoints + deps)]
    pairs_pick = pick(crossing, 3) + pick(pairs, 3)
    unrelated = [(a, b) for a in ids for b in ids if a != b
                 and a not in t.ancestors(b) and b not in t.ancestors(a)]
    cmds: list[list[str]] = []
    add = cmds.append

    # listings
    for c in (["heads"], ["heads", "-v"], ["heads", "--resolve-dependencies"],
              ["branches"], ["branches", "-v"], ["history"], ["history", "-v"]):
        add(c)

    # history ranges
    for a, b in pairs_pick[:4]:
        add(["history", "-r", f"{a}:{b}"])
    if pairs:
        a, b = rng.choice(pairs)
        add(["history", "-r", f"{a}:"])
        add(["history", "-r", f":{b}"])
        add(["history", "-r", f"{b}:{a}"])                       # wrong direction
        pa, pb = _unique_prefix(a, names), _unique_prefix(b, names)
        if pa and pb:
            add(["history", "-r", f"{pa}:{pb}"])
        add(["history", "-r", f"base:{b}"])
        add(["history", "-r", a])                                  # no colon
    for a, b in pick(unrelated, 1):
        add(["history", "-r", f"{a}:{b}"])                         # not on one branch
    add(["history", "-r", ":head"])

    # show
    for x in pick(merges, 2) + pick(bpoints, 2) + pick(t.heads, 2) + pick(t.roots, 1) + pick(deps, 2) + pick(ids, 2):
        add(["show", x])
    for x in pick(ids, 4):
        p = _unique_prefix(x, names)
        if p:
            add(["show", p])
    ambiguous = sorted({n[:k] for n in ids for k in (4, 5, 6)
                        if sum(1 for m in names if m.startswith(n[:k])) > 1})
    for p in pick(ambiguous, 2):
        add(["show", p])
    for x in pick(ids, 1):
        add(["show", x[:3]])                                       # < 4 chars
    add(["show", "head"])
    add(["show", "heads"])
    add(["show", "base"])
    add(["show", UNKNOWN_ID])
    add(["show", f"{UNKNOWN_LABEL}@head"])
    for lab in pick(labels, 2):
        add(["show", f"{lab}@head"])
        add(["show", lab])

    # upgrade --sql
    up = lambda rng_: add(["upgrade", rng_, "--sql"])  # noqa: E731
    up("base:head")
    up("base:heads")
    for a, b in pairs_pick:
        up(f"{a}:{b}")
    for b in pick(merges, 1) + pick(ids, 1):
        up(f"base:{b}")
    for a, b in pick(pairs, 1):
        pa, pb = _unique_prefix(a, names), _unique_prefix(b, names)
        if pa and pb:
            up(f"{pa}:{pb}")
    for a in pick(ids, 2):
        up(f"{a}:+1")
    for a in pick(ids, 2):
        up(f"{a}:+2")
    for a, b in pick([(a, b) for (a, b) in pairs if t.children[b]], 1):
        up(f"{a}:{b}+1")                                           # b+1 may be an ambiguous walk
    for a in pick(ids, 1):
        up(f"{a}:heads")
    for a, b in pick(unrelated, 2):
        up(f"{a}:{b}")                                             # across branches
    for lab in pick(labels, 2):
        lrev = t.label_rev[lab]
        lineage = sorted(t.ancestors(lrev) | {lrev})
        a = rng.choice(lineage)
        up(f"{a}:{lab}@+1")
        up(f"{a}:{lab}@head")
        up(f"base:{lab}@head")
        p = _unique_prefix(lrev, names)
        if p:
            up(f"base:{lab}@{p}")                                  # branch@rev
    for lab in pick(labels, 1):
        up(f"base:{lab}@+2")                                       # branch not current yet
    for a in pick(ids, 1):
        up(f"{a}:-1")                                              # invalid for upgrade
    up(f"base:{UNKNOWN_ID}")
    up(f"base:{UNKNOWN_LABEL}@head")
    for a, b in pick(pairs, 1):
        up(f"{b}:{a}")                                             # wrong direction

    # downgrade --sql
    down = lambda rng_: add(["downgrade", rng_, "--sql"])  # noqa: E731
    for a, b in pairs_pick[:4]:
        down(f"{b}:{a}")
    for b in pick(t.heads, 1) + pick(merges, 1) + pick(ids, 1):
        down(f"{b}:-1")
    for b in pick(t.heads, 1) + pick(ids, 1):
        down(f"{b}:-2")
    for b in pick(t.heads, 1) + pick(merges, 1):
        down(f"{b}:base")
    for a, b in pick(pairs, 2):
        down(f"{b}:{a}-1")
    for lab in pick(labels, 2):
        lrev = t.label_rev[lab]
        below = sorted(t.descendants(lrev))
        if below:
            down(f"{rng.choice(below)}:{lab}@-1")
            down(f"{rng.choice(below)}:{lab}@base")
    if len(t.heads) == 1:
        down("head:base")
    for b in pick(ids, 1):
        down(f"{b}:+1")                                            # invalid for downgrade
    for a, b in pick([(a, b) for (a, b) in pairs if len(t.children[a]) == 1], 1):
        down(f"{b}:{a}+1")
    for a, b in pick(pairs, 1):
        down(f"{a}:{b}")                                           # wrong direction
    for b in pick(ids, 1):
        down(f"{b}:{UNKNOWN_ID}")

    # stamp --sql
    for a, b in pick(pairs, 2):
        add(["stamp", f"{a}:{b}", "--sql"])
    for a, b in pick(pairs, 1):
        add(["stamp", f"{b}:{a}", "--sql"])
    for x in pick(ids, 2):
        add(["stamp", f"base:{x}", "--sql"])
    for a, b in pick(unrelated, 1):
        add(["stamp", f"{a}:{b}", "--sql"])
    for x in pick(ids, 1):
        add(["stamp", f"{x}:base", "--sql"])
    if len(t.heads) > 1:
        add(["stamp", *[f"base:{h}" for h in t.heads[:3]], "--sql"])
    for a, b in pick(pairs, 1):
        add(["stamp", f"base:{a}", f"{a}:{b}", "--sql"])          # two starting revisions
    add(["stamp", f"base:{UNKNOWN_ID}", "--sql"])
    add(["stamp", f"base:{rng.choice(ids)}", "--sql", "--purge"])

    # command-line errors Alembic reports as CommandError
    a = rng.choice(ids)
    add(["upgrade", f"base:{a}"])                                  # range without --sql
    add(["downgrade", a, "--sql"])                                 # --sql without range

    cmds.extend(g.extra_commands)
    return [list(c) for c in dict.fromkeys(tuple(c) for c in cmds)]


# --------------------------------------------------------------------------
# running

def run_alembic_batches(jobs: list[dict], seeds: list[int], work: Path, workers: int) -> list[dict[int, list[dict]]]:
    """Run every job under every seed; return per job {seed: results}."""
    tasks = []
    chunks = max(1, min(workers, len(jobs)))
    for seed in seeds:
        for c in range(chunks):
            idx = list(range(c, len(jobs), chunks))
            tasks.append((seed, c, idx))

    def one(task):
        seed, c, idx = task
        jf = work / f"alembic-jobs-{seed}-{c}.json"
        of = work / f"alembic-out-{seed}-{c}.json"
        jf.write_text(json.dumps([jobs[i] for i in idx]))
        env = dict(os.environ, PYTHONHASHSEED=str(seed))
        env.pop("ALEMBIC_CONFIG", None)
        p = subprocess.run([PYTHON, str(HERE / "run_alembic.py"), "--batch", str(jf), str(of)],
                           env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"run_alembic.py failed (seed {seed}):\n{p.stderr}")
        res = json.loads(of.read_text())
        jf.unlink()
        of.unlink()
        return seed, idx, res

    out: list[dict[int, list[dict]]] = [dict() for _ in jobs]
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        for seed, idx, res in ex.map(one, tasks):
            for i, r in zip(idx, res):
                out[i][seed] = r
    return out


def run_retort_all(retort: str, tasks: list[tuple[Path, list[str]]], workers: int) -> list[dict]:
    env = dict(os.environ, NO_COLOR="1")
    env.pop("DATABASE_URL", None)

    def one(task):
        cfg, argv = task
        try:
            p = subprocess.run([retort, "-c", str(cfg), *argv], env=env, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=30)
            return {"stdout": p.stdout.decode("utf-8", "replace"),
                    "stderr": p.stderr.decode("utf-8", "replace"), "exit": p.returncode}
        except subprocess.TimeoutExpired:
            return {"stdout": "", "stderr": "(timed out after 30 s)", "exit": -1}

    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        return list(ex.map(one, tasks, chunksize=8))


# --------------------------------------------------------------------------
# comparison

PATH_LINE = re.compile(r"^Path: .*$", re.M)


def norm_path(s: str) -> str:
    return PATH_LINE.sub("Path: <path>", s)


def alembic_failure(r: dict) -> str | None:
    """Alembic's CommandError message, or None if it did not fail that way."""
    if r["exit"] != 255:
        return None
    for line in r["stdout"].splitlines():
        if line.startswith("FAILED: "):
            return line[len("FAILED: "):]
    return None


def alembic_crashed(r: dict) -> bool:
    return r["exit"] == 1 and "Traceback" in r["stderr"]


_PAREN = re.compile(r"\(([^()]*, [^()]*)\)")
_VERSION_STMT = re.compile(
    r"^(?:INSERT INTO alembic_version \(version_num\) VALUES \('(?P<ins>[^']*)'\).*"
    r"|UPDATE alembic_version SET version_num='(?P<to>[^']*)' WHERE alembic_version.version_num = '(?P<frm>[^']*)'"
    r"|DELETE FROM alembic_version WHERE alembic_version.version_num = '(?P<del>[^']*)');$")


def canon_set_order(stdout: str) -> str:
    """Alembic output with its set-ordered parts put in one canonical order.

    Used only for cases whose Alembic output varies between runs: comma lists
    in parentheses and in 'Branch names:'/'Branches into:'/'-- Running' lines
    are sorted, the child lines of a 'branches' block are sorted, and the
    version-table statements of one step are replaced by their kinds and net
    effect (a merge DELETEs all parents but one and UPDATEs that one; which
    one is a set-order accident)."""
    lines = stdout.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _VERSION_STMT.match(line)
        if m:
            kinds, removed, added = [], [], []
            while i < len(lines):
                m = _VERSION_STMT.match(lines[i])
                if m:
                    if m.group("ins") is not None:
                        kinds.append("INSERT")
                        added.append(m.group("ins"))
                    elif m.group("to") is not None:
                        kinds.append("UPDATE")
                        removed.append(m.group("frm"))
                        added.append(m.group("to"))
                    else:
                        kinds.append("DELETE")
                        removed.append(m.group("del"))
                elif lines[i] != "":
                    break
                i += 1
            net_rm = sorted(set(removed) - set(added))
            net_add = sorted(set(added) - set(removed))
            out.append(f"VERSION {sorted(kinds)} -{net_rm} +{net_add}")
            out.append("")
            continue
        if re.match(r"^\s+-> ", line):
            block = []
            while i < len(lines) and re.match(r"^\s+-> ", lines[i]):
                block.append(_PAREN.sub(lambda mm: "(" + ", ".join(sorted(mm.group(1).split(", "))) + ")",
                                        lines[i]))
                i += 1
            out.extend(sorted(block))
            continue
        for prefix in ("Branch names: ", "Branches into: "):
            if line.startswith(prefix):
                line = prefix + ", ".join(sorted(line[len(prefix):].split(", ")))
        m = re.match(r"^(-- Running \w+ )(.*) -> (.*)$", line)
        if m:
            line = m.group(1) + ", ".join(sorted(m.group(2).split(", "))) + " -> " + \
                ", ".join(sorted(m.group(3).split(", ")))
        line = _PAREN.sub(lambda mm: "(" + ", ".join(sorted(mm.group(1).split(", "))) + ")", line)
        out.append(line)
        i += 1
    return "\n".join(out)


@dataclass
class Case:
    graph: str
    argv: list[str]
    alembic: dict[int, dict] = field(default_factory=dict)      # seed -> result
    retort: dict | None = None
    status: str = ""            # agreed / disagreed / not-compared
    kind: str = ""              # exact / seed-dependent / refusal / ...
    detail: str = ""
    dropped_version_table: bool = False


def _alembic_view(r: dict) -> tuple:
    """What is compared of one Alembic run (after the documented normalisations)."""
    if alembic_crashed(r):
        return ("crash",)
    msg = alembic_failure(r)
    if msg is not None:
        return ("fail", msg)
    if r["exit"] != 0:
        return ("exit", r["exit"], r["stdout"], r["stderr"][-400:])
    out = norm_path(r["stdout"])
    dropped = False
    if out.endswith(DROP_VERSION):
        out = out[: -len(DROP_VERSION)]
        dropped = True
    return ("ok", out, dropped)


def downgraded_revisions(stdout: str) -> list[str]:
    return re.findall(r"^-- Running downgrade (\S+) ->", stdout, re.M)


def classify(case: Case, g: Graph, topo: Topo) -> None:
    views = {}
    for seed, r in case.alembic.items():
        views.setdefault(_alembic_view(r), []).append(seed)
    rr = case.retort
    r_fail = rr["exit"] != 0
    r_out = norm_path(rr["stdout"])

    # deliberate refusal 1: the whole project (an id longer than 32 characters)
    if g.refused_project:
        long_ids = [r.id for r in g.revs if len(r.id) > 32]
        if rr["exit"] == 3 and (any(i in rr["stderr"] for i in long_ids) or "32" in rr["stderr"]):
            case.status, case.kind = "agreed", "refusal"
            case.detail = "retort refuses ids longer than 32 characters"
        else:
            case.status, case.kind = "disagreed", "refusal"
            case.detail = ("expected a deliberate refusal (exit 3 naming the long id or the 32-char "
                           "limit) for a project with a revision id longer than 32 characters")
        return

    ok_views = [v for v in views if v[0] != "crash"]
    if not ok_views:
        case.status, case.kind = "not-compared", "alembic-crash"
        case.detail = "Alembic 1.8.1 crashed with a traceback in every run"
        return
    seed_dependent = len(ok_views) > 1
    case.dropped_version_table = any(v[0] == "ok" and v[2] for v in ok_views)

    # deliberate refusal 2: a relative downgrade target resolving to base across several roots
    if case.argv[0] == "downgrade" and ":" in case.argv[1]:
        target = case.argv[1].split(":", 1)[1]
        if RELATIVE.match(target) and all(v[0] == "ok" for v in ok_views):
            down_revs = set()
            for v in ok_views:
                down_revs.update(downgraded_revisions(v[1]))
            reached_base = all(v[2] for v in ok_views)
            if reached_base and len(topo.roots_of(down_revs)) > 1:
                case.kind = "refusal"
                low = rr["stderr"].lower()
                if rr["exit"] == 3 and "base" in low and "root" in low:
                    case.status = "agreed"
                    case.detail = "retort refuses a relative downgrade to base across several roots"
                else:
                    case.status = "disagreed"
                    case.detail = ("expected a deliberate refusal (exit 3, message mentioning 'base' and "
                                   "'roots'): the relative target resolves to base and Alembic downgrades "
                                   f"revisions of {len(topo.roots_of(down_revs))} roots")
                return

    kind = "seed-dependent" if seed_dependent else "exact"
    fails = [v for v in ok_views if v[0] == "fail"]
    oks = [v for v in ok_views if v[0] == "ok"]
    others = [v for v in ok_views if v[0] == "exit"]
    case.kind = kind
    if others and not oks and not fails:
        # argparse usage errors (exit 2)
        want = others[0][1]
        if rr["exit"] == want:
            case.status = "agreed"
        else:
            case.status = "disagreed"
            case.detail = f"exit code: Alembic {want}, retort {rr['exit']}"
        return
    if r_fail:
        if rr["exit"] not in (2, 3):
            case.status = "disagreed"
            case.detail = f"retort exit {rr['exit']} (expected 0, or 3/2 for an error)"
            return
        if not fails:
            case.status = "disagreed"
            case.detail = "retort failed where Alembic succeeded"
            return
        if any(v[1] in rr["stderr"] for v in fails):
            if rr["stdout"].strip():
                case.status = "disagreed"
                case.detail = "both failed with the same message, but retort also wrote to stdout"
                return
            case.status = "agreed"
            return
        case.status = "disagreed"
        case.kind = "message"
        case.detail = "both failed, but retort's stderr does not contain Alembic's message"
        return
    if not oks:
        case.status = "disagreed"
        case.detail = "retort succeeded where Alembic failed"
        return
    if any(v[1] == r_out for v in oks):
        case.status = "agreed"
        return
    if seed_dependent and not STRICT and any(canon_set_order(v[1]) == canon_set_order(r_out) for v in oks):
        case.status = "agreed"
        case.kind = "seed-dependent-set-order"
        return
    case.status = "disagreed"
    case.detail = "stdout differs" + (" from every Alembic run" if seed_dependent else "")


# --------------------------------------------------------------------------

def _short(s: str, limit: int = 60) -> str:
    lines = s.splitlines()
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more lines)"]
    return "\n".join("      | " + ln for ln in lines) if lines else "      | (empty)"


def describe(case: Case, cfg_hint: str) -> str:
    views: dict[tuple, list[int]] = {}
    raw: dict[tuple, dict] = {}
    for seed, r in sorted(case.alembic.items()):
        v = _alembic_view(r)
        views.setdefault(v, []).append(seed)
        raw.setdefault(v, r)
    parts = [f"  [{case.graph}] {' '.join(case.argv)}  -- {case.kind}: {case.detail}"]
    for v, seeds in views.items():
        r = raw[v]
        parts.append(f"    alembic (seeds {','.join(map(str, seeds))}) exit {r['exit']}:")
        parts.append(_short(r["stdout"] if v[0] != "ok" else v[1]))
        if v[0] == "crash":
            parts.append(_short(r["stderr"], 8))
    rr = case.retort
    parts.append(f"    retort exit {rr['exit']}: (retort -c {cfg_hint} {' '.join(case.argv)})")
    parts.append(_short(norm_path(rr["stdout"])))
    if rr["stderr"]:
        parts.append("    retort stderr:")
        parts.append(_short(rr["stderr"], 10))
    return "\n".join(parts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--retort", help="path to the retort binary")
    ap.add_argument("--work", required=True, help="scratch directory (created; projects go under it)")
    ap.add_argument("--seeds", type=int, default=4, help="PYTHONHASHSEED runs of Alembic (default 4)")
    ap.add_argument("--extra-seeds", type=int, default=12,
                    help="further Alembic runs for graphs with a disagreement, to tell a real "
                         "difference from an unsampled Alembic set order (default 12)")
    ap.add_argument("--only", help="comma-separated graph names (fnmatch patterns)")
    ap.add_argument("--keep", action="store_true", help="keep the generated projects")
    ap.add_argument("--alembic-only", action="store_true",
                    help="validate the Alembic side only (no retort needed)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    ap.add_argument("--show", type=int, default=15, help="mismatches to print (default 15)")
    ap.add_argument("--strict", action="store_true",
                    help="seed-dependent cases must equal one sampled Alembic output byte for byte "
                         "(no set-order canonicalisation; use with many --seeds)")
    args = ap.parse_args(argv)
    global STRICT
    STRICT = args.strict
    if not args.alembic_only and not args.retort:
        ap.error("--retort is required (or --alembic-only)")

    if not args.alembic_only:
        try:
            ok = subprocess.run([args.retort, "--help"], capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if not ok:
            print(f"differential: {args.retort} does not run or does not answer --help", file=sys.stderr)
            return 2

    t0 = time.time()
    work = Path(args.work).resolve()
    projects = work / "projects"
    if projects.exists():
        shutil.rmtree(projects)
    projects.mkdir(parents=True)

    graphs = all_graphs()
    if args.only:
        pats = args.only.split(",")
        graphs = [g for g in graphs if any(fnmatch.fnmatchcase(g.name, p) for p in pats)]
        if not graphs:
            print(f"differential: no graph matches --only {args.only}", file=sys.stderr)
            return 2

    jobs, per_graph = [], []
    for g in graphs:
        a_dir = write_alembic_project(projects / g.name / "alembic", g.revs)
        r_dir = write_retort_project(projects / g.name / "retort", g.revs)
        cmds = commands_for(g)
        jobs.append({"ini": str(a_dir / "alembic.ini"), "commands": cmds})
        per_graph.append((g, r_dir, cmds))

    seeds = list(range(args.seeds))
    a_res = run_alembic_batches(jobs, seeds, work, args.jobs)
    t_alembic = time.time() - t0

    cases: list[Case] = []
    for gi, (g, r_dir, cmds) in enumerate(per_graph):
        for ci, c in enumerate(cmds):
            cases.append(Case(g.name, c, {s: a_res[gi][s][ci] for s in seeds}))

    if args.alembic_only:
        return alembic_only_summary(cases, graphs, t_alembic)

    tasks = []
    gi_of = {g.name: (g, r_dir) for g, r_dir, _ in per_graph}
    for c in cases:
        tasks.append((gi_of[c.graph][1] / "retort.yaml", c.argv))
    r_res = run_retort_all(args.retort, tasks, args.jobs)
    for c, r in zip(cases, r_res):
        c.retort = r
    topos = {g.name: Topo(g.revs) for g in graphs}
    graph_by = {g.name: g for g in graphs}
    for c in cases:
        classify(c, graph_by[c.graph], topos[c.graph])

    # Escalate: re-run Alembic with more seeds for the disagreeing cases, so that an
    # Alembic set order that 4 runs happened not to show is not reported as a retort bug.
    bad = [c for c in cases if c.status == "disagreed" and c.kind in ("exact", "seed-dependent")]
    if bad and args.extra_seeds > 0:
        by_graph: dict[str, list[Case]] = {}
        for c in bad:
            by_graph.setdefault(c.graph, []).append(c)
        names = list(by_graph)
        ejobs = [{"ini": jobs[[g.name for g in graphs].index(n)]["ini"],
                  "commands": [c.argv for c in by_graph[n]]} for n in names]
        more = list(range(args.seeds, args.seeds + args.extra_seeds))
        e_res = run_alembic_batches(ejobs, more, work, args.jobs)
        for n, res in zip(names, e_res):
            for ci, c in enumerate(by_graph[n]):
                for s in more:
                    c.alembic[s] = res[s][ci]
                classify(c, graph_by[n], topos[n])

    return summarise(cases, work, args, time.time() - t0)


def alembic_only_summary(cases: list[Case], graphs, t: float) -> int:
    n = len(cases)
    crash = varied = failed = 0
    for c in cases:
        views = {_alembic_view(r) for r in c.alembic.values()}
        if any(v[0] == "crash" for v in views):
            crash += 1
        if len(views) > 1:
            varied += 1
        if any(v[0] == "fail" for v in views):
            failed += 1
    print(f"differential (alembic only): {len(graphs)} graphs, {n} cases, {varied} vary between runs, "
          f"{failed} fail (CommandError), {crash} crash in some run; {t:.1f} s")
    return 0


def summarise(cases: list[Case], work: Path, args, elapsed: float) -> int:
    compared = [c for c in cases if c.status != "not-compared"]
    agreed = [c for c in compared if c.status == "agreed"]
    disagreed = [c for c in compared if c.status == "disagreed"]
    exact = sum(1 for c in agreed if c.kind == "exact")
    seeddep = sum(1 for c in agreed if c.kind.startswith("seed-dependent"))
    setorder = sum(1 for c in agreed if c.kind == "seed-dependent-set-order")
    refusals = sum(1 for c in agreed if c.kind == "refusal")
    errors_agreed = sum(1 for c in agreed if c.retort["exit"] != 0 and c.kind != "refusal")
    dropped = sum(1 for c in compared if c.dropped_version_table)
    crashed = [c for c in cases if c.status == "not-compared"]
    msg_mismatch = sum(1 for c in disagreed if c.kind == "message")

    report = {
        "summary": {"cases": len(compared), "agreed": len(agreed), "exact": exact,
                    "seed_dependent": seeddep, "seed_dependent_set_order": setorder,
                    "deliberate_refusals": refusals, "both_failed_same_message": errors_agreed,
                    "alembic_drop_version_table_stripped": dropped,
                    "disagreed": len(disagreed), "message_mismatches": msg_mismatch,
                    "not_compared_alembic_crash": len(crashed), "seconds": round(elapsed, 1)},
        "cases": [],
    }
    for c in cases:
        entry = {"graph": c.graph, "argv": c.argv, "status": c.status, "kind": c.kind,
                 "detail": c.detail, "alembic_runs": len(c.alembic),
                 "alembic_distinct_outputs": len({_alembic_view(r) for r in c.alembic.values()}),
                 "alembic_exit": sorted({r["exit"] for r in c.alembic.values()}),
                 "retort_exit": c.retort["exit"] if c.retort else None,
                 "drop_version_table_stripped": c.dropped_version_table,
                 "stdout_sha1": hashlib.sha1(c.retort["stdout"].encode()).hexdigest()[:12] if c.retort else None}
        if c.status != "agreed":
            seen = {}
            for s, r in sorted(c.alembic.items()):
                r = {k: v for k, v in r.items() if k != "seconds"}
                seen.setdefault(json.dumps(r, sort_keys=True), []).append(s)
            entry["alembic"] = [dict(json.loads(k), seeds=v) for k, v in seen.items()]
            entry["retort"] = c.retort
        report["cases"].append(entry)
    (work / "report.json").write_text(json.dumps(report, indent=1))

    if disagreed:
        print(f"differential: first {min(args.show, len(disagreed))} of {len(disagreed)} mismatches:")
        for c in disagreed[: args.show]:
            print(describe(c, f"{work}/projects/{c.graph}/retort/retort.yaml"))
            print()
    print(f"differential: {len(compared)} cases, {len(agreed)} agreed ({exact} exact, {seeddep} seed-dependent, "
          f"{refusals} deliberate refusals); {len(disagreed)} disagreed"
          + (f" ({msg_mismatch} error-message mismatches)" if msg_mismatch else ""))
    print(f"differential: {errors_agreed} agreed cases are errors in both; {setorder} seed-dependent cases "
          f"agreed only modulo set order; {dropped} Alembic offline downgrades to base had "
          f"'DROP TABLE alembic_version;' stripped; {len(crashed)} cases not compared (Alembic 1.8.1 "
          f"crashed in every run); {elapsed:.0f} s; report: {work / 'report.json'}")
    if not args.keep:
        shutil.rmtree(work / "projects", ignore_errors=True)
    return 1 if disagreed else 0


if __name__ == "__main__":
    sys.exit(main())
