#!/usr/bin/python3
"""Helper of bench/bench_runner.sh (the runner benchmark).

    gen_runner_projects.py generate OUT [--revisions N] [--app-role ROLE]
        Write one linear chain of N revisions of multi-tenant DDL three times:
          OUT/retort/   retort.yaml + versions/<id>_<slug>/{migration.yaml,upgrade.sql,downgrade.sql}
          OUT/alembic/  alembic.ini + env.py (online, transaction_per_migration=True,
                        URL from $RETORT_BENCH_ALEMBIC_URL) + versions/<id>_<slug>.py,
                        one op.execute() per statement
          OUT/psql/     upgrade.sql, downgrade.sql: the floor, one script per direction
                        that a single psql runs: per step BEGIN; the same statements;
                        Alembic's version-row UPDATE/INSERT/DELETE; COMMIT. And
                        {upgrade,downgrade}_retort_trips.sql: the floor plus the
                        other round trips retort makes (see write_psql_trips)
        and OUT/manifest.json (revision ids, head). Every runner gets the same
        statement text, byte for byte. Revision 1 creates `tenants` (3 rows);
        then, per tenant-scoped table, four revisions: create it (tenant_id
        uuid NOT NULL REFERENCES tenants ON DELETE CASCADE, an index led by
        tenant_id, seed rows), enable + force row level security with a
        tenant_isolation policy and a GRANT to ROLE, add a column with a small
        UPDATE backfill (WHERE ... IS NULL), then a composite foreign key to
        the previous table and one more tenant-led index. Each downgrade is
        the exact inverse of its upgrade. ROLE (default retort_bench_app) must
        exist in the cluster: roles are cluster-wide, so the benchmark creates
        it once rather than in a migration.

    gen_runner_projects.py profile RESULTS_DIR CHAIN_DIR
        From the server log excerpts prof.<scenario>.<runner>.log (taken with
        log_min_duration_statement = 0) and /usr/bin/time's prof.*.time of one
        run each, print round trips and server time per category (the
        migration's own statements, transaction control, version row, history
        row, reads and locks) beside wall and client CPU time; "rest" is wall
        minus client CPU minus server statement time: process start-up,
        connecting, network and waiting for a CPU.

    gen_runner_projects.py table RESULTS_DIR
        Print the Markdown table of the hyperfine JSON files that
        bench_runner.sh left in RESULTS_DIR (<scenario>.<runner>.r<round>.json,
        all rounds pooled), then which goals are met.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
from pathlib import Path

ENTITIES = ["projects", "tasks", "comments", "documents", "invoices",
            "events", "webhooks", "api_keys", "audit_logs", "notifications"]
TENANT_CHECK = "tenant_id = current_setting('app.current_tenant_id', true)::uuid"


def rev_id(i: int) -> str:
    return hashlib.sha256(f"retort-runner-bench-{i}".encode()).hexdigest()[:12]


def table_name(k: int) -> str:
    base = ENTITIES[k % len(ENTITIES)]
    return base if k < len(ENTITIES) else f"{base}_{k // len(ENTITIES) + 1}"


def tenants_step() -> tuple[str, list[str], list[str]]:
    up = [
        "CREATE TABLE tenants (\n"
        "    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n"
        "    name       text NOT NULL,\n"
        "    plan       text NOT NULL DEFAULT 'free',\n"
        "    created_at timestamptz NOT NULL DEFAULT now()\n"
        ")",
        "INSERT INTO tenants (name) SELECT 'tenant ' || g FROM generate_series(1, 3) AS g",
    ]
    return "create tenants", up, ["DROP TABLE tenants"]


def table_step(k: int, phase: int, role: str) -> tuple[str, list[str], list[str]]:
    """Phase 0-3 of tenant-scoped table k: (message, upgrade, downgrade)."""
    t = table_name(k)
    if phase == 0:
        up = [
            f"CREATE TABLE {t} (\n"
            f"    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n"
            f"    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,\n"
            f"    name       text NOT NULL,\n"
            f"    created_at timestamptz NOT NULL DEFAULT now(),\n"
            f"    CONSTRAINT {t}_tenant_id_key UNIQUE (tenant_id, id)\n"
            f")",
            f"CREATE INDEX {t}_tenant_created_idx ON {t} (tenant_id, created_at)",
            f"INSERT INTO {t} (tenant_id, name) SELECT id, 'seed for ' || name FROM tenants",
        ]
        down = [f"DROP INDEX {t}_tenant_created_idx", f"DROP TABLE {t}"]
        return f"create {t}", up, down
    if phase == 1:
        up = [
            f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
            f"CREATE POLICY tenant_isolation ON {t}\n"
            f"    USING ({TENANT_CHECK})\n"
            f"    WITH CHECK ({TENANT_CHECK})",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {role}",
        ]
        down = [
            f"REVOKE SELECT, INSERT, UPDATE, DELETE ON {t} FROM {role}",
            f"DROP POLICY tenant_isolation ON {t}",
            f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY",
            f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY",
        ]
        return f"tenant isolation on {t}", up, down
    if phase == 2:
        up = [
            f"ALTER TABLE {t} ADD COLUMN status text",
            f"UPDATE {t} SET status = 'active' WHERE status IS NULL",
            f"ALTER TABLE {t} ALTER COLUMN status SET DEFAULT 'active'",
            f"ALTER TABLE {t} ALTER COLUMN status SET NOT NULL",
        ]
        down = [
            f"ALTER TABLE {t} ALTER COLUMN status DROP NOT NULL",
            f"ALTER TABLE {t} ALTER COLUMN status DROP DEFAULT",
            f"ALTER TABLE {t} DROP COLUMN status",
        ]
        return f"add {t} status", up, down
    up, down = [], []
    if k > 0:
        p = table_name(k - 1)
        up += [
            f"ALTER TABLE {t} ADD COLUMN {p}_id uuid",
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_{p}_fkey\n"
            f"    FOREIGN KEY (tenant_id, {p}_id) REFERENCES {p} (tenant_id, id) ON DELETE CASCADE",
        ]
        down = [f"ALTER TABLE {t} DROP CONSTRAINT {t}_{p}_fkey",
                f"ALTER TABLE {t} DROP COLUMN {p}_id"]
    up.append(f"CREATE INDEX {t}_tenant_status_idx ON {t} (tenant_id, status)")
    down.insert(0, f"DROP INDEX {t}_tenant_status_idx")
    return f"link and index {t}", up, down


def make_chain(n: int, role: str) -> list[dict]:
    revs = []
    for i in range(n):
        if i == 0:
            message, up, down = tenants_step()
        else:
            message, up, down = table_step((i - 1) // 4, (i - 1) % 4, role)
        day, minute = divmod(i * 37, 24 * 60)
        revs.append({
            "id": rev_id(i),
            "down": rev_id(i - 1) if i else None,
            "message": message,
            "date": f"2026-{1 + day // 28:02d}-{1 + day % 28:02d} {minute // 60:02d}:{minute % 60:02d}:00",
            "up": up,
            "down_sql": down,
        })
    return revs


def sql_text(statements: list[str]) -> str:
    """The script every runner executes: one statement per paragraph."""
    return "".join(s + ";\n\n" for s in statements)


def stem(rev: dict) -> str:
    return rev["id"] + "_" + "_".join(rev["message"].split())


def write_retort(root: Path, revs: list[dict]) -> None:
    versions = root / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (root / "retort.yaml").write_text(
        "# Written by bench/gen_runner_projects.py; the URL comes from --url.\n"
        "version_locations: [versions]\n"
        "history_table: retort_history\n"
        "lock_timeout: 5s\n"
        "statement_timeout: 0\n")
    for r in revs:
        d = versions / stem(r)
        d.mkdir(exist_ok=True)
        down = f'"{r["down"]}"' if r["down"] else "null"
        (d / "migration.yaml").write_text(
            f'revision: "{r["id"]}"\ndown_revision: {down}\n'
            f'message: "{r["message"]}"\ncreate_date: "{r["date"]}"\n')
        (d / "upgrade.sql").write_text(sql_text(r["up"]))
        (d / "downgrade.sql").write_text(sql_text(r["down_sql"]))


ALEMBIC_INI = """\
# Written by bench/gen_runner_projects.py. Logging as in Alembic's generic
# template (INFO for alembic: one line per step on stderr).
[alembic]
script_location = {root}

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console
qualname =

[logger_sqlalchemy]
level = WARN
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
"""

ENV_PY = """\
# Written by bench/gen_runner_projects.py: online mode only, one transaction
# per migration, the database URL from $RETORT_BENCH_ALEMBIC_URL.
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

if context.config.config_file_name is not None:
    fileConfig(context.config.config_file_name)

engine = create_engine(os.environ["RETORT_BENCH_ALEMBIC_URL"], poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
"""


def py_body(statements: list[str]) -> str:
    return "".join(f"    op.execute({s!r})\n" for s in statements)


def write_alembic(root: Path, revs: list[dict]) -> None:
    versions = root / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (root / "alembic.ini").write_text(ALEMBIC_INI.format(root=root))
    (root / "env.py").write_text(ENV_PY)
    for r in revs:
        (versions / f"{stem(r)}.py").write_text(
            f'"""{r["message"]}\n\nRevision ID: {r["id"]}\nRevises: {r["down"] or ""}\n'
            f'Create Date: {r["date"]}\n"""\n'
            "from alembic import op\n\n"
            f"revision = {r['id']!r}\ndown_revision = {r['down']!r}\n"
            "branch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n{py_body(r['up'])}\n\n"
            f"def downgrade():\n{py_body(r['down_sql'])}")


VERSION_TABLE_DDL = (
    "CREATE TABLE alembic_version (\n"
    "    version_num VARCHAR(32) NOT NULL, \n"
    "    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"
    ");\n\n")


def write_psql(root: Path, revs: list[dict]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    up = [VERSION_TABLE_DDL]
    for r in revs:
        if r["down"] is None:
            row = f"INSERT INTO alembic_version (version_num) VALUES ('{r['id']}');\n"
        else:
            row = (f"UPDATE alembic_version SET version_num='{r['id']}' "
                   f"WHERE alembic_version.version_num = '{r['down']}';\n")
        up.append(f"-- upgrade {r['down'] or ''} -> {r['id']}\nBEGIN;\n\n"
                  f"{sql_text(r['up'])}{row}COMMIT;\n\n")
    down = []
    for r in reversed(revs):
        if r["down"] is None:
            row = f"DELETE FROM alembic_version WHERE alembic_version.version_num = '{r['id']}';\n"
        else:
            row = (f"UPDATE alembic_version SET version_num='{r['down']}' "
                   f"WHERE alembic_version.version_num = '{r['id']}';\n")
        down.append(f"-- downgrade {r['id']} -> {r['down'] or ''}\nBEGIN;\n\n"
                    f"{sql_text(r['down_sql'])}{row}COMMIT;\n\n")
    (root / "upgrade.sql").write_text("".join(up))
    (root / "downgrade.sql").write_text("".join(down))
    write_psql_trips(root, revs)


# The floor again, plus the round trips retort makes besides the migration's own
# statements (src/exec/runner.cc, src/db/pg_database.cc at the time of writing): per
# step SET LOCAL lock_timeout and statement_timeout in one simple query (psql's \;),
# a retort_history INSERT before COMMIT, and after COMMIT to_regclass() + SELECT of
# the version table; per run current_schema(), the advisory lock and its release,
# the version/history table look-ups. The gap between this script and retort is
# retort's own client cost; the gap between this and the floor is the round trips.
HISTORY_DDL = (
    "CREATE TABLE retort_history (\n"
    "    id bigserial PRIMARY KEY,\n"
    "    revision varchar(32) NOT NULL,\n"
    "    direction text NOT NULL CHECK (direction IN ('upgrade', 'downgrade', 'stamp')),\n"
    "    checksum text,\n"
    "    db_user text NOT NULL,\n"
    "    client_host text NOT NULL,\n"
    "    started_at timestamptz NOT NULL,\n"
    "    duration_ms bigint NOT NULL,\n"
    "    retort_version text NOT NULL\n"
    ")")
LOOK_VERSION = "SELECT to_regclass('\"alembic_version\"') IS NOT NULL;\n"
READ_HEADS = LOOK_VERSION + "SELECT version_num FROM \"alembic_version\";\n"
LOCK_KEY = 4242424242


def trips_step(direction: str, rev: str, statements: list[str], row: str) -> str:
    checksum = hashlib.sha256(f"{direction} {rev}".encode()).hexdigest()
    return (f"-- {direction} {rev}\nBEGIN;\n"
            "SET LOCAL lock_timeout = 5000 \\; SET LOCAL statement_timeout = 0;\n\n"
            f"{sql_text(statements)}{row}"
            "INSERT INTO retort_history (revision, direction, checksum, db_user, client_host, "
            "started_at, duration_ms, retort_version) VALUES "
            f"('{rev}', '{direction}', '{checksum}', current_user, "
            "COALESCE(host(inet_client_addr()), 'local'), "
            "to_timestamp(1795000000000::double precision / 1000), 3, '0.1.0');\n"
            f"COMMIT;\n{READ_HEADS}\n")


def write_psql_trips(root: Path, revs: list[dict]) -> None:
    start = f"SELECT current_schema();\nSELECT pg_try_advisory_lock({LOCK_KEY});\n{LOOK_VERSION}"
    end = f"{READ_HEADS}SELECT pg_advisory_unlock({LOCK_KEY});\n"
    up = [start, f"{LOOK_VERSION}BEGIN;\n{VERSION_TABLE_DDL}COMMIT;\n",
          "SELECT to_regclass('\"retort_history\"') IS NOT NULL;\n",
          f"BEGIN;\n{HISTORY_DDL};\nCOMMIT;\n\n"]
    for r in revs:
        if r["down"] is None:
            row = f"INSERT INTO alembic_version (version_num) VALUES ('{r['id']}');\n"
        else:
            row = (f"UPDATE alembic_version SET version_num = '{r['id']}' "
                   f"WHERE alembic_version.version_num = '{r['down']}';\n")
        up.append(trips_step("upgrade", r["id"], r["up"], row))
    down = [start, "SELECT version_num FROM \"alembic_version\";\n",
            "SELECT to_regclass('\"retort_history\"') IS NOT NULL;\n\n"]
    for r in reversed(revs):
        if r["down"] is None:
            row = f"DELETE FROM alembic_version WHERE alembic_version.version_num = '{r['id']}';\n"
        else:
            row = (f"UPDATE alembic_version SET version_num = '{r['down']}' "
                   f"WHERE alembic_version.version_num = '{r['id']}';\n")
        down.append(trips_step("downgrade", r["id"], r["down_sql"], row))
    (root / "upgrade_retort_trips.sql").write_text("".join(up + [end]))
    (root / "downgrade_retort_trips.sql").write_text("".join(down + [end]))


def generate(out: Path, n: int, role: str) -> None:
    if n < 1:
        raise SystemExit("gen_runner_projects.py: --revisions must be at least 1")
    out = out.resolve()
    revs = make_chain(n, role)
    write_retort(out / "retort", revs)
    write_alembic(out / "alembic", revs)
    write_psql(out / "psql", revs)
    statements = sum(len(r["up"]) for r in revs), sum(len(r["down_sql"]) for r in revs)
    (out / "manifest.json").write_text(json.dumps({
        "revisions": [r["id"] for r in revs], "head": revs[-1]["id"],
        "tables": 1 + (n - 1 + 3) // 4, "upgrade_statements": statements[0],
        "downgrade_statements": statements[1], "app_role": role}, indent=1) + "\n")
    print(f"wrote {n} revisions ({statements[0]} upgrade and {statements[1]} downgrade "
          f"statements) under {out}", file=sys.stderr)


# ---------------------------------------------------------------- table

SCENARIOS = [
    ("noop", "no-op `upgrade head` at head"),
    ("up", "base → head"),
    ("down", "head → base"),
]
RUNNERS = ["retort", "alembic", "psql", "trips"]
PSQL_LABEL = {"noop": "psql `-c 'select 1'`", "up": "psql floor script", "down": "psql floor script"}
TRIPS_LABEL = "psql floor + retort's extra round trips"
GOALS = {  # scenario: (max retort/alembic, max retort/psql)
    "noop": (1 / 20, 2.0),
    "up": (1.0, 1.3),
    "down": (1.0, 1.3),
}


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.2f} s"


def load(results: Path, scenario: str, runner: str) -> dict | None:
    times, cpu, n = [], 0.0, 0
    for f in sorted(results.glob(f"{scenario}.{runner}.r*.json")):
        r = json.loads(f.read_text())["results"][0]
        times += r["times"]
        cpu += (r["user"] + r["system"]) * len(r["times"])
        n += len(r["times"])
    if not times:
        return None
    return {"mean": statistics.fmean(times),
            "sd": statistics.stdev(times) if len(times) > 1 else 0.0,
            "median": statistics.median(times), "min": min(times),
            "cpu": cpu / n, "n": n}


def table(results: Path) -> None:
    print("| runner | scenario | mean ± σ | median | min | client CPU | runs "
          "| ratio vs Alembic | ratio vs psql |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    verdicts = []
    for scenario, title in SCENARIOS:
        got = {r: load(results, scenario, r) for r in RUNNERS}
        for runner in RUNNERS:
            s = got[runner]
            if s is None:
                continue
            ratios = []
            for ref in ("alembic", "psql"):
                if got[ref] is None or ref == runner:
                    ratios.append("—")
                else:
                    ratios.append(f"{s['mean'] / got[ref]['mean']:.3f}")
            name = {"psql": PSQL_LABEL[scenario], "trips": TRIPS_LABEL}.get(runner, runner)
            print(f"| {name} | {title} | {fmt(s['mean'])} ± {fmt(s['sd'])} | {fmt(s['median'])} "
                  f"| {fmt(s['min'])} | {fmt(s['cpu'])} | {s['n']} | {ratios[0]} | {ratios[1]} |")
        rt, al, ps = got["retort"], got["alembic"], got["psql"]
        if rt is None:
            continue
        max_al, max_ps = GOALS[scenario]
        if al is not None:
            speed = al["mean"] / rt["mean"]
            want = f"≥{1 / max_al:.0f}× faster than Alembic" if max_al < 1 else "faster than Alembic"
            ok = rt["mean"] <= al["mean"] * max_al
            verdicts.append(f"- {title}: {want} — **{'met' if ok else 'not met'}** "
                            f"({speed:.1f}× by mean, {al['median'] / rt['median']:.1f}× by median)")
        if ps is not None:
            ratio = rt["mean"] / ps["mean"]
            ok = ratio <= max_ps
            verdicts.append(f"- {title}: within {max_ps:g}× of {PSQL_LABEL[scenario]} — "
                            f"**{'met' if ok else 'not met'}** ({ratio:.2f}× by mean, "
                            f"{rt['median'] / ps['median']:.2f}× by median)")
    print()
    print("Goals (judged on the means):")
    print("\n".join(verdicts))


# ---------------------------------------------------------------- profile

LOG_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[\d+\] (\w+):  (.*)$")
DURATION = re.compile(r"^duration: ([0-9.]+) ms  (statement|parse|bind|execute)[^:]*: (.*)$", re.S)
CATEGORIES = ["migration", "transaction", "version row", "history row", "reads and locks"]


def normalize(statement: str) -> str:
    lines = [l for l in statement.strip().splitlines() if not l.lstrip().startswith("--")]
    return "\n".join(lines).strip().rstrip(";").strip()


def category(text: str, migration: set[str]) -> str:
    t = normalize(text)
    if t in migration:
        return "migration"
    head = t.split(None, 1)[0].upper() if t else ""
    if head in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE") or t.upper().startswith("SET LOCAL"):
        return "transaction"
    if "alembic_version" in t and head in ("INSERT", "UPDATE", "DELETE", "CREATE"):
        return "version row"
    if "retort_history" in t and head in ("INSERT", "CREATE"):
        return "history row"
    return "reads and locks"


def profile(results: Path, chain: Path) -> None:
    """Summarise the server logs (log_min_duration_statement = 0) of one run per
    runner and scenario: round trips and server time per category, next to
    the run's wall and client CPU time (/usr/bin/time)."""
    manifest = json.loads((chain / "manifest.json").read_text())
    migration = set()
    for r in make_chain(len(manifest["revisions"]), manifest["app_role"]):
        migration.update(normalize(x) for x in r["up"] + r["down_sql"])
    print("| runner | scenario | wall | client CPU | server time | rest | round trips | "
          + " | ".join(f"{c}: trips / server ms" for c in CATEGORIES) + " |")
    print("|---|---|---:|---:|---:|---:|---:|" + "---:|" * len(CATEGORIES))
    for scenario, title in SCENARIOS:
        for runner in RUNNERS:
            log = results / f"prof.{scenario}.{runner}.log"
            if not log.exists():
                continue
            entries, cur = [], None
            for line in log.read_text(errors="replace").splitlines():
                m = LOG_ENTRY.match(line)
                if m:
                    cur = [m.group(1), m.group(2)]
                    entries.append(cur)
                elif cur is not None:  # a continuation line, indented by one tab
                    cur[1] += "\n" + line.removeprefix("\t")
            trips = {c: 0 for c in CATEGORIES}
            ms = {c: 0.0 for c in CATEGORIES}
            for level, msg in entries:
                m = DURATION.match(msg)
                if level != "LOG" or not m:
                    continue
                c = category(m.group(3), migration)
                ms[c] += float(m.group(1))
                if m.group(2) in ("statement", "execute"):
                    trips[c] += 1
            wall, user, system = (float(x) for x in
                                  (results / f"prof.{scenario}.{runner}.time").read_text().split()[-3:])
            cells = " | ".join(f"{trips[c]} / {ms[c]:.0f}" for c in CATEGORIES)
            name = {"psql": PSQL_LABEL[scenario], "trips": TRIPS_LABEL}.get(runner, runner)
            cpu, server = (user + system) * 1000, sum(ms.values())
            print(f"| {name} | {title} | {wall * 1000:.0f} ms | {cpu:.0f} ms | {server:.0f} ms "
                  f"| {wall * 1000 - cpu - server:.0f} ms | {sum(trips.values())} | {cells} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("out", type=Path)
    g.add_argument("--revisions", type=int, default=200)
    g.add_argument("--app-role", default="retort_bench_app")
    t = sub.add_parser("table")
    t.add_argument("results", type=Path)
    pr = sub.add_parser("profile")
    pr.add_argument("results", type=Path)
    pr.add_argument("chain", type=Path)
    a = ap.parse_args()
    if a.cmd == "generate":
        generate(a.out, a.revisions, a.app_role)
    elif a.cmd == "table":
        table(a.results)
    else:
        profile(a.results, a.chain)


if __name__ == "__main__":
    main()
