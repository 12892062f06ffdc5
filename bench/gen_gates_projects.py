#!/usr/bin/python3
"""Helper of bench/bench_gates.sh (the gates benchmark).

    gen_gates_projects.py generate OUT [--revisions N] [--app-role ROLE]
        Like gen_runner_projects.py generate (same layout: OUT/retort,
        OUT/alembic, OUT/psql, OUT/manifest.json; the Alembic project and
        the psql floor come from its writers), but a chain that passes every
        gate of SPEC 6: revision 1 creates `tenants` (global); then per
        tenant-scoped table four revisions:
          0  create it whole: tenant_id uuid NOT NULL REFERENCES tenants ON
             DELETE CASCADE, UNIQUE (tenant_id, id), a tenant-led index, seed
             rows, ENABLE + FORCE ROW LEVEL SECURITY, a tenant_isolation
             policy (USING and WITH CHECK on current_setting(..., true)::uuid),
             GRANT to ROLE; an isolation fixture in migration.yaml;
          1  add a column with a small UPDATE backfill, default, NOT NULL;
          2  a composite foreign key to the previous table and a tenant-led
             index; the fixture now makes its parent row in a WITH query;
          3  a column and a unique index led by tenant_id.
        Each downgrade is the exact inverse of its upgrade. retort.yaml has
        a tenancy: section (tenant_fixture, app_role ROLE). Also writes
        OUT/psql/upgrade_from_1.sql: the floor from revision 1 to head (for
        databases where revision 1 already ran).

    gen_gates_projects.py extra-tables N [--prefix legacy]
        Print the SQL that adds N tenant-scoped tables (each like a real one:
        FK to tenants ON DELETE CASCADE, UNIQUE (tenant_id, id), tenant-led
        index, RLS enabled + forced, tenant_isolation policy, GRANT to the app
        role, and every 2nd one a composite FK to the one before), 100 tables
        per transaction.

    gen_gates_projects.py table RESULTS_DIR --steps N [--scaling-steps M]
        The Markdown tables of bench_gates.sh's hyperfine files
        (<scenario>.<runner>.r<round>.json) and step timings
        (steps.<n>.<runner>.r<round>.json), then the goals.

    gen_gates_projects.py attribute CHAIN_DIR LOG...
        Round trips and server time per kind of statement (server logs of one
        run each with log_min_duration_statement = 0): fingerprint, catalog
        facts, isolation probe, round trip (the inverse script and its
        savepoint), the migration's own statements, bookkeeping (transaction,
        version and history rows, lock, look-ups). Parse + bind + execute of
        the extended protocol all count as server time, one trip each.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_runner_projects as runner  # noqa: E402

TENANT_CHECK = runner.TENANT_CHECK


def fixture(t: str, parent: str | None) -> str:
    if parent is None:
        return f"INSERT INTO {t} (tenant_id, name) VALUES (:tenant_id, 'probe {t}')"
    return (f"WITH p AS (INSERT INTO {parent} (tenant_id, name) VALUES (:tenant_id, 'probe parent') "
            f"RETURNING tenant_id, id) "
            f"INSERT INTO {t} (tenant_id, {parent}_id, name) SELECT tenant_id, id, 'probe {t}' FROM p")


def gated_step(k: int, phase: int, role: str) -> tuple[str, list[str], list[str], dict]:
    """Phase 0-3 of tenant-scoped table k: (message, upgrade, downgrade, isolation)."""
    t = runner.table_name(k)
    p = runner.table_name(k - 1) if k > 0 else None
    if phase == 0:
        _, create, _ = runner.table_step(k, 0, role)  # table, tenant-led index, seed rows
        _, rls, rls_down = runner.table_step(k, 1, role)  # RLS, policy, GRANT
        return (f"create {t}", create + rls,
                rls_down[:2] + [f"DROP INDEX {t}_tenant_created_idx", f"DROP TABLE {t}"],
                {t: fixture(t, None)})
    if phase == 1:
        message, up, down = runner.table_step(k, 2, role)  # status column, backfill
        return message, up, down, {}
    if phase == 2:
        message, up, down = runner.table_step(k, 3, role)  # composite FK + index
        return message, up, down, ({t: fixture(t, p)} if p else {})
    up = [f"ALTER TABLE {t} ADD COLUMN external_ref text",
          f"CREATE UNIQUE INDEX {t}_tenant_external_ref_key ON {t} (tenant_id, external_ref)"]
    down = [f"DROP INDEX {t}_tenant_external_ref_key", f"ALTER TABLE {t} DROP COLUMN external_ref"]
    return f"external ref on {t}", up, down, {}


def make_chain(n: int, role: str) -> list[dict]:
    revs = runner.make_chain(n, role)  # ids, parents, dates, the tenants step
    for i, r in enumerate(revs):
        r["isolation"] = {}
        if i:
            r["message"], r["up"], r["down_sql"], r["isolation"] = gated_step((i - 1) // 4, (i - 1) % 4, role)
    return revs


RETORT_YAML = """\
# Written by bench/gen_gates_projects.py; the URL comes from --url.
version_locations: [versions]
history_table: retort_history
lock_timeout: 5s
statement_timeout: 0
tenancy:
  tenants_table: tenants
  tenant_column: tenant_id
  context_setting: app.current_tenant_id
  app_role: {role}
  schemas: [public]
  global_tables: [tenants]
  tenant_fixture: INSERT INTO tenants (id, name) VALUES (:tenant_id, 'retort probe')
"""


def write_retort(root: Path, revs: list[dict], role: str) -> None:
    versions = root / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (root / "retort.yaml").write_text(RETORT_YAML.format(role=role))
    for r in revs:
        d = versions / runner.stem(r)
        d.mkdir(exist_ok=True)
        down = f'"{r["down"]}"' if r["down"] else "null"
        meta = (f'revision: "{r["id"]}"\ndown_revision: {down}\n'
                f'message: "{r["message"]}"\ncreate_date: "{r["date"]}"\n')
        if r["isolation"]:
            meta += "isolation:\n" + "".join(f"  {t}: >-\n    {sql}\n" for t, sql in r["isolation"].items())
        (d / "migration.yaml").write_text(meta)
        (d / "upgrade.sql").write_text(runner.sql_text(r["up"]))
        (d / "downgrade.sql").write_text(runner.sql_text(r["down_sql"]))


def generate(out: Path, n: int, role: str) -> None:
    if n < 2:
        raise SystemExit("gen_gates_projects.py: --revisions must be at least 2")
    out = out.resolve()
    revs = make_chain(n, role)
    write_retort(out / "retort", revs, role)
    runner.write_alembic(out / "alembic", revs)
    runner.write_psql(out / "psql", revs)
    # The floor from revision 1 on (the version table exists, at revision 1).
    text = (out / "psql" / "upgrade.sql").read_text()
    (out / "psql" / "upgrade_from_1.sql").write_text(text[text.index(f"-- upgrade {revs[0]['id']} -> "):])
    statements = sum(len(r["up"]) for r in revs), sum(len(r["down_sql"]) for r in revs)
    (out / "manifest.json").write_text(json.dumps({
        "revisions": [r["id"] for r in revs], "head": revs[-1]["id"],
        "tables": 1 + (n - 1 + 3) // 4, "upgrade_statements": statements[0],
        "downgrade_statements": statements[1], "app_role": role}, indent=1) + "\n")
    print(f"wrote {n} gated revisions ({statements[0]} upgrade and {statements[1]} downgrade "
          f"statements) under {out}", file=sys.stderr)


def extra_tables(n: int, prefix: str, role: str) -> None:
    out = []
    for i in range(n):
        t = f"{prefix}_{i:05d}"
        if i % 100 == 0:
            out.append("BEGIN;")
        fk = ""
        if i % 2 == 1:
            fk = (f",\n    parent_id uuid,\n    FOREIGN KEY (tenant_id, parent_id) "
                  f"REFERENCES {prefix}_{i - 1:05d} (tenant_id, id) ON DELETE CASCADE")
        out += [
            f"CREATE TABLE {t} (\n    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n"
            f"    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,\n"
            f"    name text NOT NULL,\n    status text NOT NULL DEFAULT 'active',\n"
            f"    created_at timestamptz NOT NULL DEFAULT now(),\n"
            f"    UNIQUE (tenant_id, id){fk}\n);",
            f"CREATE INDEX {t}_tenant_created_idx ON {t} (tenant_id, created_at);",
            f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;",
            f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY;",
            f"CREATE POLICY tenant_isolation ON {t} USING ({TENANT_CHECK}) WITH CHECK ({TENANT_CHECK});",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {role};",
        ]
        if i % 100 == 99 or i == n - 1:
            out.append("COMMIT;")
    print("\n".join(out))


# ---------------------------------------------------------------- table

RUNNERS = [
    ("retort", "retort, every gate"),
    ("retort_old", "retort before the gates"),
    ("alembic", "Alembic"),
    ("psql", "psql floor script"),
]
SCENARIOS = [("up", "base → head"), ("down", "head → base")]


def step_times(results: Path, pattern: str) -> list[float]:
    """Every step's duration (s) in retort's --format json outputs."""
    out = []
    for f in sorted(results.glob(pattern)):
        doc = json.loads(f.read_text())
        for s in doc.get("steps", []):
            ms = s.get("duration_ms", s.get("ms"))
            if ms is not None:
                out.append(float(ms) / 1000)
    return out


def table(results: Path, steps: int, scaling_steps: int | None) -> None:
    fmt = runner.fmt
    print("| runner | scenario | mean ± σ | median | min | client CPU | runs | per step (median) "
          "| ratio vs psql | ratio vs Alembic |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    verdicts, got_all = [], {}
    for scenario, title in SCENARIOS:
        got = {r: runner.load(results, scenario, r) for r, _ in RUNNERS}
        got_all[scenario] = got
        for r, name in RUNNERS:
            s = got[r]
            if s is None:
                continue
            ratios = [f"{s['mean'] / got[ref]['mean']:.2f}" if got[ref] and ref != r else "—"
                      for ref in ("psql", "alembic")]
            print(f"| {name} | {title} | {fmt(s['mean'])} ± {fmt(s['sd'])} | {fmt(s['median'])} "
                  f"| {fmt(s['min'])} | {fmt(s['cpu'])} | {s['n']} | {fmt(s['median'] / steps)} "
                  f"| {ratios[0]} | {ratios[1]} |")
        rt, old, al, ps = (got[r] for r in ("retort", "retort_old", "alembic", "psql"))
        if rt and old:
            verdicts.append(f"- {title}: the gates cost {fmt((rt['median'] - old['median']) / steps)} per step "
                            f"(median {fmt(rt['median'])} with every gate vs {fmt(old['median'])} before "
                            f"them, {rt['median'] / old['median']:.1f}×)")
        if rt and ps:
            ratio = rt["mean"] / ps["mean"]
            verdicts.append(f"- {title}: within 3× of the psql floor — **{'met' if ratio <= 3 else 'not met'}** "
                            f"({ratio:.2f}× by mean, {rt['median'] / ps['median']:.2f}× by median)")
        if rt and al:
            verdicts.append(f"- {title}: faster than Alembic — **{'met' if rt['mean'] < al['mean'] else 'not met'}** "
                            f"(retort takes {rt['mean'] / al['mean']:.2f}× Alembic's time by mean, "
                            f"{rt['median'] / al['median']:.2f}× by median)")
    once = {r: float((results / f"downonce.{r}.time").read_text()) for r, _ in RUNNERS
            if (results / f"downonce.{r}.time").exists()}
    if once and not got_all["down"]["retort"]:
        print()
        print("head → base, one run each (the downgrade check before timing): " + ", ".join(
            f"{name} {fmt(once[r])}" for r, name in RUNNERS if r in once)
            + (f"; with every gate {once['retort'] / once['psql']:.1f}× the floor" if "psql" in once and "retort" in once else "")
            + (f", {once['retort'] / once['alembic']:.2f}× Alembic's time" if "alembic" in once and "retort" in once else ""))
    if scaling_steps:
        print()
        print(f"Existing tables (upgrade from revision 1 to head: {scaling_steps} steps, on a database that "
              "already holds N extra tenant-scoped tables):")
        print()
        print("| N extra tables | runner | median ± σ (run) | runs | per step: run median / steps "
              "| per step: retort's step time, median (p90) |")
        print("|---:|---|---:|---:|---:|---:|")
        ns = sorted({int(m.group(1)) for f in results.glob("scale*.json")
                     if (m := re.match(r"scale(\d+)\.", f.name))})
        per = {}
        for n in ns:
            for r, name in RUNNERS:
                s = runner.load(results, f"scale{n}", r)
                if s is None:
                    continue
                st = step_times(results, f"steps.{n}.{r}.r*.json")
                cell = "—"
                if st:
                    st.sort()
                    cell = f"{fmt(statistics.median(st))} ({fmt(st[int(0.9 * (len(st) - 1))])})"
                    per[(n, r)] = statistics.median(st)
                print(f"| {n} | {name} | {fmt(s['median'])} ± {fmt(s['sd'])} | {s['n']} "
                      f"| {fmt(s['median'] / scaling_steps)} | {cell} |")
        if len(ns) >= 2:
            lo, hi = ns[0], ns[-1]
            for r in ("retort", "retort_old"):
                if (lo, r) in per and (hi, r) in per:
                    a, b = per[(lo, r)], per[(hi, r)]
                    verdicts.append(f"- {dict(RUNNERS)[r]}: per step {fmt(a)} at {lo} extra tables, {fmt(b)} at "
                                    f"{hi} ({b / a:.2f}×): per-step cost "
                                    f"{'does not grow' if b <= a * 1.15 else '**grows**'} with the tables "
                                    "already in the database")
    print()
    print("Goals:")
    print("\n".join(verdicts))


# ---------------------------------------------------------------- attribute

KINDS = ["fingerprint", "catalog facts", "isolation probe", "round trip (inverse script)",
         "migration", "bookkeeping", "end-of-run audit"]


def kind(text: str, up: set[str], down: set[str]) -> str:
    """The gate (or other part of a step) a logged statement belongs to: by
    its text, or for the savepoints and settings retort pipelines around its
    reads, by the savepoint's name or the setting's."""
    t = runner.normalize(text)
    if t in up:
        return "migration"
    if t in down or "retort_round_trip" in t:
        return "round trip (inverse script)"
    if ("retort_fingerprint" in t or re.match(r"WITH (RECURSIVE )?ns AS", t) or "to_regclass(n)::oid" in t
            or "set_config('jit', 'off', true)" in t or t.startswith("SET LOCAL jit = off")
            or "server_version_num" in t):
        return "fingerprint"
    if t.startswith(("WITH wanted AS", "WITH RECURSIVE r AS")) or "retort_facts" in t:
        return "catalog facts"
    if ("retort_isolation" in t or "retort_probe_case" in t or "set_config($1, $2, true)" in t
            or "gen_random_uuid()::text" in t
            or "current_setting('role')" in t or t.startswith(("SET LOCAL ROLE", "RESET ROLE"))
            or re.match(r'SELECT DISTINCT "[^"]+"::text FROM ', t) or re.match(r'UPDATE "[^"]+"\."[^"]+" SET ', t)
            or ("$1" in t and "probe" in t)):
        return "isolation probe"
    return "bookkeeping"


def attribute(chain: Path, logs: list[Path]) -> None:
    manifest = json.loads((chain / "manifest.json").read_text())
    revs = make_chain(len(manifest["revisions"]), manifest["app_role"])
    up = {runner.normalize(x) for r in revs for x in r["up"]}
    down = {runner.normalize(x) for r in revs for x in r["down_sql"]} - up
    print("| run | steps | " + " | ".join(f"{k}: statements / server ms" for k in KINDS)
          + " | all: statements / server ms | fingerprints: count, ms each |")
    print("|---|---:|" + "---:|" * (len(KINDS) + 2))
    for log in logs:
        entries, cur = [], None
        for line in log.read_text(errors="replace").splitlines():
            m = runner.LOG_ENTRY.match(line)
            if m:
                cur = [m.group(1), m.group(2)]
                entries.append(cur)
            elif cur is not None:
                cur[1] += "\n" + line.removeprefix("\t")
        trips = {k: 0 for k in KINDS}
        ms = {k: 0.0 for k in KINDS}
        fp_count, fp_ms, steps = 0, 0.0, 0
        audit = False  # after the schema-wide facts query: the audit of every table
        for level, msg in entries:
            m = runner.DURATION.match(msg)
            if level != "LOG" or not m:
                continue
            k = kind(m.group(3), up, down)
            if k == "catalog facts" and re.match(r"WITH wanted AS \(\s*SELECT c\.oid FROM", m.group(3).strip()):
                audit = True
            if audit and k == "catalog facts":
                k = "end-of-run audit"
            ms[k] += float(m.group(1))
            if m.group(2) in ("statement", "execute"):
                trips[k] += 1
            if re.match(r"WITH (RECURSIVE )?ns AS", m.group(3).lstrip()):
                fp_ms += float(m.group(1))
                fp_count += m.group(2) == "execute"
            if "INSERT INTO \"retort_history\"" in m.group(3) and m.group(2) in ("statement", "execute"):
                steps += 1
        print(f"| {log.stem.removeprefix('prof.')} | {steps} | "
              + " | ".join(f"{trips[k]} / {ms[k]:.0f}" for k in KINDS)
              + f" | {sum(trips.values())} / {sum(ms.values()):.0f} "
              f"| {fp_count}, {fp_ms / max(fp_count, 1):.1f} ms |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("out", type=Path)
    g.add_argument("--revisions", type=int, default=200)
    g.add_argument("--app-role", default="retort_bench_app")
    e = sub.add_parser("extra-tables")
    e.add_argument("n", type=int)
    e.add_argument("--prefix", default="legacy")
    e.add_argument("--app-role", default="retort_bench_app")
    t = sub.add_parser("table")
    t.add_argument("results", type=Path)
    t.add_argument("--steps", type=int, required=True)
    t.add_argument("--scaling-steps", type=int)
    a_ = sub.add_parser("attribute")
    a_.add_argument("chain", type=Path)
    a_.add_argument("logs", type=Path, nargs="+")
    a = ap.parse_args()
    if a.cmd == "generate":
        generate(a.out, a.revisions, a.app_role)
    elif a.cmd == "extra-tables":
        extra_tables(a.n, a.prefix, a.app_role)
    elif a.cmd == "table":
        table(a.results, a.steps, a.scaling_steps)
    else:
        attribute(a.chain, a.logs)


if __name__ == "__main__":
    main()
