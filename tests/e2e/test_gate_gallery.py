"""End to end: the gate gallery (SPEC §6, issue 4). One bad revision per
case, on top of a good base, each refused by `retort upgrade head` with exit
4, the expected finding id at the expected file and line, and the database
exactly as it was before the run: version table, history table, a schema
fingerprint of our own (pg_catalog: tables with owner and RLS flags,
columns, constraints, indexes, policies, grants, the app role's attributes)
and the rows of every table. No probe row or probe tenant survives a run,
passing or failing.

The base (generated per test): the global `tenants` table with two tenants,
the app role (NOLOGIN, NOBYPASSRLS, granted to the migration role) and a
correct tenant-scoped table `notes` with three rows, in the shape of
migrations_example's first revisions. Roles are cluster-wide: every scratch
database gets its own app role name (tenancy.app_role) and drops it in
cleanup, so tests running at the same time do not see each other's role.

Also the good path: migrations_example/ base -> heads -> base."""
import contextlib
import json
import os
import tempfile
import time
import unittest
from pathlib import Path

import psycopg2

import harness
from harness import SOURCE_DIR, ScratchDatabase, run_retort, run_retort_confirmed, write_project

TENANT_A = "0000000a-0000-4000-8000-00000000000a"
TENANT_B = "0000000b-0000-4000-8000-00000000000b"
BASE_ROWS = {"tenants": 2, "notes": 3}
BASE_HEAD = "a1notes"
CASE_REV = "b0case"
CASE_DIR = f"versions/{CASE_REV}_rev"
SETTING = "app.current_tenant_id"
BOUND = f"tenant_id = current_setting('{SETTING}', true)::uuid"

# What each case observed: printed at the end (the report of the gallery).
OBSERVED = []


def config(role):
    return f"""\
tenancy:
  tenants_table: tenants
  tenant_column: tenant_id
  context_setting: {SETTING}
  app_role: {role}
  schemas: [public]
  global_tables: [tenants]
  tenant_fixture: INSERT INTO tenants (id, name) VALUES (:tenant_id, 'retort probe')
"""


def base_revisions(role):
    """tenants (global, two rows) + the app role; notes (tenant-scoped, three rows)."""
    tenants_up = f"""\
-- The global tenants table and the app role (NOLOGIN, no BYPASSRLS, owns nothing).
CREATE TABLE tenants (
    id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL
);
CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
GRANT "{role}" TO CURRENT_USER;
GRANT SELECT ON tenants TO "{role}";
INSERT INTO tenants (id, name) VALUES ('{TENANT_A}', 'base a'), ('{TENANT_B}', 'base b');
"""
    tenants_down = f"""\
REVOKE SELECT ON tenants FROM "{role}";
DROP ROLE "{role}";
DROP TABLE tenants;
"""
    notes_up = f"""\
CREATE TABLE notes (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    body       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notes_tenant_created_idx ON notes (tenant_id, created_at);

ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notes
    USING ({BOUND})
    WITH CHECK ({BOUND});

GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO "{role}";
INSERT INTO notes (tenant_id, body) VALUES
    ('{TENANT_A}', 'a one'), ('{TENANT_A}', 'a two'), ('{TENANT_B}', 'b one');
"""
    notes_down = f"""\
REVOKE SELECT, INSERT, UPDATE, DELETE ON notes FROM "{role}";
DROP POLICY tenant_isolation ON notes;
DROP INDEX notes_tenant_created_idx;
DROP TABLE notes;
"""
    return [
        {"id": "a0tenants", "down": None, "upgrade": tenants_up, "downgrade": tenants_down,
         "message": "create tenants and the app role"},
        {"id": BASE_HEAD, "down": "a0tenants", "upgrade": notes_up, "downgrade": notes_down,
         "message": "create notes",
         "isolation": {"notes": "INSERT INTO notes (tenant_id, body) VALUES (:tenant_id, 'probe note')"}},
    ]


ITEMS_FIXTURE = {"items": "INSERT INTO items (tenant_id, name) VALUES (:tenant_id, 'probe item')"}
POLICY_OK = f"""\
CREATE POLICY tenant_isolation ON items
    USING ({BOUND})
    WITH CHECK ({BOUND});"""


def items(*, tenant="uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE", index=True, enable=True,
          force=True, policy=POLICY_OK, extra=""):
    """A new tenant-scoped table `items`; every keyword is one thing to get wrong."""
    parts = ["-- a new tenant-scoped table",
             "CREATE TABLE items (",
             "    id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),",
             f"    tenant_id {tenant},",
             "    name      text NOT NULL",
             ");"]
    if index:
        parts.append("CREATE INDEX items_tenant_idx ON items (tenant_id, name);")
    if enable:
        parts.append("ALTER TABLE items ENABLE ROW LEVEL SECURITY;")
    if force:
        parts.append("ALTER TABLE items FORCE ROW LEVEL SECURITY;")
    if policy:
        parts.append(policy)
    parts.append('GRANT SELECT, INSERT, UPDATE, DELETE ON items TO "{role}";')
    if extra:
        parts.append(extra)
    return "\n".join(parts) + "\n"


ITEMS_DOWN = "DROP TABLE items;\n"


class Case:
    """One bad revision on top of the base.

    expect: [(finding id, "upgrade.sql" | "downgrade.sql", where)] that must all be
    error findings of the refusal; where is a substring of the SQL (the finding's
    line is the first line containing it) or 0 (the whole file).
    """

    def __init__(self, name, upgrade, downgrade, expect, isolation=None, transactional=True,
                 app_role=None, about=""):
        self.name = name
        self.upgrade = upgrade
        self.downgrade = downgrade
        self.expect = expect
        self.isolation = ITEMS_FIXTURE if isolation is None else isolation
        self.transactional = transactional
        self.app_role = app_role  # "missing": the config names a role that does not exist
        self.about = about

    def revision(self, role):
        rev = {"id": CASE_REV, "down": BASE_HEAD, "message": f"case {self.name}",
               "upgrade": self.upgrade.replace("{role}", role),
               "downgrade": None if self.downgrade is None else self.downgrade.replace("{role}", role),
               "isolation": self.isolation}
        if not self.transactional:
            rev["transactional"] = False
        return rev

    def line_of(self, file, where, role, folder=None):
        if where == 0:
            return 0
        if file == "migration.yaml":
            text = (folder / file).read_text()
        else:
            text = (self.upgrade if file == "upgrade.sql" else self.downgrade).replace("{role}", role)
        for number, line in enumerate(text.splitlines(), 1):
            if where in line:
                return number
        raise AssertionError(f"{self.name}: {where!r} not in {file}")


NOTE_COMMENT = "COMMENT ON TABLE notes IS 'cleaned up';\n"
NOTE_UNCOMMENT = "COMMENT ON TABLE notes IS NULL;\n"

CASES = [
    # -- static: refused before the first statement runs -------------------------------
    Case("downgrade_only_comments", items(), "-- TODO: write the real inverse\n-- (retort revision wrote this)\n",
         [("downgrade-stub", "downgrade.sql", 0)]),
    Case("downgrade_only_select_1", items(), "-- nothing to undo?\nSELECT 1;\n",
         [("downgrade-stub", "downgrade.sql", "SELECT 1")]),
    Case("downgrade_empty_do_block", items(), "DO $$\nBEGIN\nEND\n$$;\n",
         [("downgrade-stub", "downgrade.sql", "DO $$")]),
    Case("downgrade_bare_raise_notice", items(), "DO $$ BEGIN RAISE NOTICE 'nothing to do'; END $$;\n",
         [("downgrade-stub", "downgrade.sql", "DO $$")]),
    Case("downgrade_missing", items(), None,
         [("downgrade-missing", "downgrade.sql", 0)]),
    Case("sql_syntax", "CREATE TABLE items (\n    id int,\n    name text,,\n);\n", "DROP TABLE items;\n",
         [("sql-syntax", "upgrade.sql", "name text,,")]),
    Case("delete_without_where", NOTE_COMMENT + "-- remove the demo notes\nDELETE FROM notes;\n", NOTE_UNCOMMENT,
         [("delete-without-where", "upgrade.sql", "DELETE FROM notes")]),
    Case("delete_where_true", NOTE_COMMENT + "DELETE FROM notes WHERE true;\n", NOTE_UNCOMMENT,
         [("delete-without-where", "upgrade.sql", "DELETE FROM notes")]),
    Case("delete_where_1_eq_1", NOTE_COMMENT + "DELETE FROM notes WHERE 1 = 1;\n", NOTE_UNCOMMENT,
         [("delete-without-where", "upgrade.sql", "DELETE FROM notes")]),
    Case("delete_in_cte", NOTE_COMMENT + "WITH gone AS (\n    DELETE FROM notes\n    RETURNING id\n)\n"
         "SELECT count(*) FROM gone;\n", NOTE_UNCOMMENT,
         [("delete-without-where", "upgrade.sql", "WITH gone AS")]),
    Case("update_without_where", NOTE_COMMENT + "UPDATE notes SET body = upper(body);\n", NOTE_UNCOMMENT,
         [("update-without-where", "upgrade.sql", "UPDATE notes")]),
    Case("update_where_true", NOTE_COMMENT + "UPDATE notes SET body = upper(body) WHERE true;\n", NOTE_UNCOMMENT,
         [("update-without-where", "upgrade.sql", "UPDATE notes")]),
    Case("transaction_control", "BEGIN;\n" + NOTE_COMMENT + "COMMIT;\n", NOTE_UNCOMMENT,
         [("transaction-control", "upgrade.sql", "BEGIN"), ("transaction-control", "upgrade.sql", "COMMIT")]),
    Case("concurrently_in_transaction",
         "-- forgot transactional: false\nCREATE INDEX CONCURRENTLY notes_tenant_body_idx ON notes (tenant_id, body);\n",
         "DROP INDEX notes_tenant_body_idx;\n",
         [("non-transactional-in-transaction", "upgrade.sql", "CONCURRENTLY")]),
    # -- catalog gates, in the step's transaction ------------------------------------
    Case("rls_not_enabled", items(enable=False), ITEMS_DOWN,
         [("rls-disabled", "upgrade.sql", "CREATE TABLE items")]),
    Case("rls_not_forced", items(force=False), ITEMS_DOWN,
         [("rls-not-forced", "upgrade.sql", "CREATE TABLE items")]),
    Case("rls_no_policy", items(policy=""), ITEMS_DOWN,
         [("rls-no-policy", "upgrade.sql", "CREATE TABLE items")]),
    Case("policy_using_true", items(policy="CREATE POLICY tenant_isolation ON items\n    USING (true);"), ITEMS_DOWN,
         [("policy-always-true", "upgrade.sql", "CREATE POLICY"),
          ("isolation-a-sees-other", "upgrade.sql", "CREATE TABLE items"),
          ("isolation-b-sees-a", "upgrade.sql", "CREATE TABLE items"),
          ("isolation-no-context-sees-rows", "upgrade.sql", "CREATE TABLE items")]),
    Case("policy_wrong_column", items(policy=(
        "CREATE POLICY tenant_isolation ON items\n"
        f"    USING (id = current_setting('{SETTING}', true)::uuid)\n"
        f"    WITH CHECK (id = current_setting('{SETTING}', true)::uuid);")), ITEMS_DOWN,
         [("policy-not-tenant-bound", "upgrade.sql", "CREATE POLICY")]),
    Case("policy_other_setting", items(policy=(
        "CREATE POLICY tenant_isolation ON items\n"
        "    USING (tenant_id = current_setting('app.tenant', true)::uuid)\n"
        "    WITH CHECK (tenant_id = current_setting('app.tenant', true)::uuid);")), ITEMS_DOWN,
         [("policy-not-tenant-bound", "upgrade.sql", "CREATE POLICY")]),
    Case("with_check_lets_a_write_b", items(policy=(
        "CREATE POLICY tenant_isolation ON items\n"
        f"    USING ({BOUND})\n"
        "    WITH CHECK (tenant_id IS NOT NULL);")), ITEMS_DOWN,
         [("policy-not-tenant-bound", "upgrade.sql", "CREATE POLICY"),
          ("isolation-cross-tenant-write", "upgrade.sql", "CREATE TABLE items")]),
    Case("second_permissive_policy", items(policy=(
        POLICY_OK + "\nCREATE POLICY items_probe_visible ON items FOR SELECT\n"
        "    USING (name LIKE 'probe%');")), ITEMS_DOWN,
         [("policy-not-tenant-bound", "upgrade.sql", "items_probe_visible"),
          ("isolation-a-sees-other", "upgrade.sql", "CREATE TABLE items")]),
    Case("policy_open_without_context", items(policy=(
        "CREATE POLICY tenant_isolation ON items\n"
        f"    USING (coalesce(current_setting('{SETTING}', true), '') = ''\n"
        f"           OR tenant_id = nullif(current_setting('{SETTING}', true), '')::uuid)\n"
        f"    WITH CHECK ({BOUND});")), ITEMS_DOWN,
         [("policy-not-tenant-bound", "upgrade.sql", "CREATE POLICY"),
          ("isolation-no-context-sees-rows", "upgrade.sql", "CREATE TABLE items")]),
    Case("policy_without_rls",
         "-- not tenant-scoped (no tenant_id), but a policy that never applies\n"
         "CREATE TABLE settings (key text PRIMARY KEY, value text);\n"
         "CREATE POLICY settings_read ON settings USING (true);\n",
         "DROP TABLE settings;\n",
         [("policy-without-rls", "upgrade.sql", "CREATE POLICY")], isolation={}),
    Case("tenant_column_text", items(tenant="text NOT NULL", policy=(
        "CREATE POLICY tenant_isolation ON items\n"
        f"    USING (tenant_id = current_setting('{SETTING}', true))\n"
        f"    WITH CHECK (tenant_id = current_setting('{SETTING}', true));")), ITEMS_DOWN,
         [("tenant-column-type", "upgrade.sql", "CREATE TABLE items")]),
    Case("tenant_column_nullable", items(tenant="uuid REFERENCES tenants (id) ON DELETE CASCADE"), ITEMS_DOWN,
         [("tenant-column-nullable", "upgrade.sql", "CREATE TABLE items")]),
    Case("tenant_fk_missing", items(tenant="uuid NOT NULL"), ITEMS_DOWN,
         [("tenant-fk-missing", "upgrade.sql", "CREATE TABLE items")]),
    Case("tenant_fk_without_cascade", items(tenant="uuid NOT NULL REFERENCES tenants (id)"), ITEMS_DOWN,
         [("tenant-fk-missing", "upgrade.sql", "CREATE TABLE items")]),
    Case("tenant_index_missing", items(index=False), ITEMS_DOWN,
         [("tenant-index-missing", "upgrade.sql", "CREATE TABLE items")]),
    Case("app_role_superuser", items(extra='ALTER ROLE "{role}" SUPERUSER;'),
         'ALTER ROLE "{role}" NOSUPERUSER;\n' + ITEMS_DOWN,
         [("app-role-bypasses-rls", "upgrade.sql", "ALTER ROLE"),
          ("isolation-b-sees-a", "upgrade.sql", "CREATE TABLE items")]),
    Case("app_role_bypassrls", items(extra='ALTER ROLE "{role}" BYPASSRLS;'),
         'ALTER ROLE "{role}" NOBYPASSRLS;\n' + ITEMS_DOWN,
         [("app-role-bypasses-rls", "upgrade.sql", "ALTER ROLE"),
          ("isolation-b-sees-a", "upgrade.sql", "CREATE TABLE items")]),
    Case("app_role_owns_table", items(extra='ALTER TABLE items OWNER TO "{role}";'), ITEMS_DOWN,
         [("app-role-bypasses-rls", "upgrade.sql", "CREATE TABLE items")]),
    # The same three in a revision that changes nothing but the role or the owner.
    Case("app_role_made_superuser_alone", '-- promote the app role\nALTER ROLE "{role}" SUPERUSER;\n',
         'ALTER ROLE "{role}" NOSUPERUSER;\n',
         [("app-role-bypasses-rls", "upgrade.sql", "ALTER ROLE")], isolation={}),
    Case("app_role_given_bypassrls_alone", 'ALTER ROLE "{role}" BYPASSRLS;\n',
         'ALTER ROLE "{role}" NOBYPASSRLS;\n',
         [("app-role-bypasses-rls", "upgrade.sql", "ALTER ROLE")], isolation={}),
    Case("app_role_given_existing_table", '-- hand notes to the app role\nALTER TABLE notes OWNER TO "{role}";\n',
         'ALTER TABLE notes OWNER TO CURRENT_USER;\nGRANT SELECT, INSERT, UPDATE, DELETE ON notes TO "{role}";\n',
         [("app-role-bypasses-rls", "upgrade.sql", "OWNER TO")], isolation={}),
    Case("app_role_missing", items(), ITEMS_DOWN,
         [("app-role-missing", "upgrade.sql", "CREATE TABLE items"),
          ("isolation-app-role-missing", "upgrade.sql", "CREATE TABLE items")], app_role="missing"),
    # -- the isolation probe ----------------------------------------------------------
    Case("fixture_missing", items(), ITEMS_DOWN,
         [("isolation-fixture-missing", "upgrade.sql", "CREATE TABLE items")], isolation={}),
    Case("fixture_fails", items(), ITEMS_DOWN,
         [("isolation-fixture-failed", "migration.yaml", "isolation:")],
         isolation={"items": "INSERT INTO items (tenant_id, title) VALUES (:tenant_id, 'probe item')"}),
    Case("a_sees_nothing", items(policy=(
        "CREATE POLICY tenant_isolation ON items\n"
        f"    USING ({BOUND} AND name = 'never')\n"
        f"    WITH CHECK ({BOUND});")), ITEMS_DOWN,
         [("isolation-a-sees-nothing", "upgrade.sql", "CREATE TABLE items")]),
    # -- the round trip ---------------------------------------------------------------
    Case("downgrade_forgets_index",
         "CREATE INDEX notes_tenant_body_idx ON notes (tenant_id, body);\n"
         "CREATE INDEX notes_tenant_id_idx ON notes (tenant_id, id);\n",
         "-- forgets DROP INDEX notes_tenant_body_idx\nDROP INDEX notes_tenant_id_idx;\n",
         [("downgrade-not-inverse", "downgrade.sql", 0)], isolation={}),
    Case("downgrade_forgets_policy",
         "CREATE INDEX notes_tenant_body_idx ON notes (tenant_id, body);\n"
         "CREATE POLICY notes_same_tenant ON notes AS RESTRICTIVE\n"
         f"    USING ({BOUND});\n",
         "-- forgets DROP POLICY notes_same_tenant ON notes\nDROP INDEX notes_tenant_body_idx;\n",
         [("downgrade-not-inverse", "downgrade.sql", 0)], isolation={}),
]

# What the round-trip findings must name (in message or details).
NAMES = {"downgrade_forgets_index": "notes_tenant_body_idx", "downgrade_forgets_policy": "notes_same_tenant"}

# Every id SPEC §6 and the catalog/probe/round-trip list name: each has a case.
ALL_IDS = {
    "downgrade-missing", "downgrade-stub", "sql-syntax", "delete-without-where", "update-without-where",
    "transaction-control", "non-transactional-in-transaction",
    "rls-disabled", "rls-not-forced", "rls-no-policy", "policy-without-rls", "policy-not-tenant-bound",
    "policy-always-true", "tenant-column-type", "tenant-column-nullable", "tenant-fk-missing",
    "tenant-index-missing", "app-role-bypasses-rls", "app-role-missing",
    "isolation-fixture-missing", "isolation-fixture-failed", "isolation-app-role-missing",
    "isolation-a-sees-nothing", "isolation-a-sees-other", "isolation-b-sees-a",
    "isolation-no-context-sees-rows", "isolation-cross-tenant-write", "downgrade-not-inverse",
}

# Refused before anything runs, from the files alone (also by lint and the dry run).
STATIC_IDS = {"downgrade-missing", "downgrade-stub", "sql-syntax", "delete-without-where", "update-without-where",
              "transaction-control", "non-transactional-in-transaction", "isolation-fixture-missing"}

# -- the snapshot: everything a step could leave behind --------------------------------
USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'"
FINGERPRINT = {
    "tables": f"""
        SELECT n.nspname, c.relname, c.relkind::text, pg_get_userbyid(c.relowner),
               c.relrowsecurity, c.relforcerowsecurity, coalesce(c.relacl::text, '')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE {USER_SCHEMAS} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        ORDER BY 1, 2""",
    "columns": f"""
        SELECT n.nspname, c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
               a.attnotnull, coalesce(pg_get_expr(d.adbin, d.adrelid), '')
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE {USER_SCHEMAS} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY 1, 2, 3""",
    "constraints": f"""
        SELECT n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE {USER_SCHEMAS} ORDER BY 1, 2, 3""",
    "indexes": """
        SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3""",
    "policies": """
        SELECT schemaname, tablename, policyname, permissive, roles::text, cmd,
               coalesce(qual, ''), coalesce(with_check, '')
        FROM pg_policies ORDER BY 1, 2, 3""",
    "schemas": f"SELECT n.nspname, pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE {USER_SCHEMAS} ORDER BY 1",
    "comments": f"""
        SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE {USER_SCHEMAS} AND obj_description(c.oid, 'pg_class') IS NOT NULL ORDER BY 1""",
}


def wait_for_sessions_gone(db, timeout=10):
    """Until no other session is connected to db (retort's connections ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = db.query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND pid <> pg_backend_pid()")[0][0]
        if n == 0:
            return True
        time.sleep(0.02)
    return False


def describe(findings):
    return "\n".join(f"  {f.get('severity')} {f.get('id')} {f.get('file')}:{f.get('line')} "
                     f"[{f.get('table')}] {f.get('message')}" for f in findings)


class GalleryCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.stack = contextlib.ExitStack()
        self.addCleanup(self.stack.close)
        self.db = ScratchDatabase("retort_gallery")
        # One app role per database (cluster-wide names), dropped after the database.
        self.role = f"app_{self.db.name}"
        self.stack.callback(self.drop_roles, self.role)
        self.stack.enter_context(self.db)
        self.tmp = Path(self.stack.enter_context(tempfile.TemporaryDirectory(prefix="retort_gallery_")))

    @staticmethod
    def drop_roles(role):
        """After the database (whose grants refer to it): the role and its _missing twin."""
        admin = psycopg2.connect(harness.server_conninfo())
        admin.autocommit = True
        with admin.cursor() as cur:
            for role in (role, role + "_missing"):
                cur.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()

    # -- running retort -----------------------------------------------------------
    def retort(self, *args, expect=None, confirmed=False):
        run = run_retort_confirmed if confirmed else run_retort
        proc = run(*args, url=self.db.url, cwd=self.proj)
        if expect is not None:
            self.assertEqual(proc.returncode, expect,
                             f"retort {' '.join(map(str, args))}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    def retort_json(self, *args, expect, confirmed=False):
        proc = self.retort("--format", "json", *args, expect=expect, confirmed=confirmed)
        doc = json.loads(proc.stdout)
        self.assertEqual(doc["exit_code"], expect)
        return doc

    def write(self, revisions, role=None):
        write_project(self.proj, revisions, config(role or self.role))

    def apply_base(self, extra_revisions=()):
        self.proj = self.tmp / "proj"
        self.write(base_revisions(self.role) + list(extra_revisions))
        doc = self.retort_json("upgrade", BASE_HEAD, expect=0)
        self.assertEqual([s["revision"] for s in doc["steps"]], ["a0tenants", BASE_HEAD])
        self.assertTrue(wait_for_sessions_gone(self.db))
        self.assert_rows(BASE_ROWS)

    # -- database state ---------------------------------------------------------
    def queries(self):
        """A function running one query in a single connection kept for the caller's block."""
        conn = psycopg2.connect(self.db.url)
        conn.autocommit = True
        cur = conn.cursor()

        def run(sql, params=None):
            cur.execute(sql, params)
            return cur.fetchall()
        return contextlib.closing(conn), run

    def exists(self, name):
        return self.db.query("SELECT to_regclass(%s) IS NOT NULL", (name,))[0][0]

    @staticmethod
    def _row_counts(q):
        tables = [r[0] for r in q(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
            "AND relname NOT IN ('alembic_version', 'retort_history') ORDER BY 1")]
        return {t: q(f'SELECT count(*) FROM public."{t}"')[0][0] for t in tables}

    def row_counts(self):
        """{table: rows} of every table of the public schema but retort's own."""
        conn, q = self.queries()
        with conn:
            return self._row_counts(q)

    def assert_rows(self, expected):
        """Exactly the rows the test inserted: no probe tenant, no probe row."""
        conn, q = self.queries()
        with conn:
            self.assertEqual(self._row_counts(q), expected)
            self.assertEqual(q("SELECT id::text, name FROM tenants ORDER BY 1"),
                             [(TENANT_A, "base a"), (TENANT_B, "base b")])
            self.assertEqual(q("SELECT count(*) FROM pg_prepared_xacts"), [(0,)])

    def snapshot(self):
        conn, q = self.queries()
        with conn:
            state = {key: q(sql) for key, sql in FINGERPRINT.items()}
            state["roles"] = q(
                "SELECT rolname, rolsuper, rolbypassrls, rolcanlogin, "
                "ARRAY(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.member "
                "      WHERE m.roleid = r.oid ORDER BY 1)::text "
                "FROM pg_roles r WHERE rolname LIKE %s ORDER BY 1", (self.role + "%",))
            state["versions"] = sorted(r[0] for r in q("SELECT version_num FROM alembic_version"))
            state["history"] = q("SELECT * FROM retort_history ORDER BY id")
            state["rows"] = self._row_counts(q)
        return state


class GateGalleryTest(GalleryCase):
    """One test per case of CASES (generated below)."""

    def run_case(self, case):
        self.apply_base()
        if case.app_role == "missing":
            self.write_case(case, role=self.role + "_missing")
        else:
            self.write_case(case)
        before = self.snapshot()
        self.assertEqual(before["versions"], [BASE_HEAD])

        proc = self.retort("--format", "json", "upgrade", "head")
        self.assertTrue(wait_for_sessions_gone(self.db))
        after = self.snapshot()
        try:
            doc = json.loads(proc.stdout)
        except ValueError:
            doc = {"findings": [], "unparsed": proc.stdout}
        findings = doc.get("findings") or []
        errors = [f for f in findings if f.get("severity") == "error"]
        OBSERVED.append((case.name, proc.returncode,
                         sorted({(f["id"], f["file"].split("/")[-1], f["line"]) for f in errors}),
                         sorted({f["id"] for f in findings if f.get("severity") != "error"})))

        self.assertEqual(proc.returncode, 4, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        self.assertEqual((doc["exit_code"], doc["exit_name"]), (4, "refused"))
        self.assertTrue(doc["error"]["message"], doc["error"])
        self.assertEqual(doc["steps"], [], "the only pending step was refused")
        got = {(f["id"], f["file"], f["line"]) for f in errors}
        for gate, file, where in case.expect:
            want = (gate, f"{CASE_DIR}/{file}", case.line_of(file, where, self.role, self.proj / CASE_DIR))
            self.assertIn(want, got, f"{case.name}: want {want} in\n{describe(findings)}")
        for f in errors:
            self.assertEqual(f["revision"], CASE_REV, f)
            self.assertTrue(f["message"] and f["hint"], f)
            self.assertIn(f["waived_because"], ("", None), f)
            self.assertIn(f["id"], ALL_IDS, f"an id that no list names: {f}")
        if case.name in NAMES:
            [f] = [f for f in errors if f["id"] == "downgrade-not-inverse"]
            self.assertIn(NAMES[case.name], f["message"] + json.dumps(f["details"]), f)

        # Refused and rolled back: exactly the database of before.
        self.assertEqual(after, before)
        if all(gate in STATIC_IDS for gate, _, _ in case.expect):
            # Static: the dry run (exit 4) and lint (no database) say the same.
            for args in (("upgrade", "head", "--dry-run"), ("lint",)):
                proc = self.retort("--format", "json", *args)
                self.assertEqual(proc.returncode, 4, f"{args}\n{proc.stdout}{proc.stderr}")
                seen = {(f["id"], f["file"], f["line"]) for f in json.loads(proc.stdout)["findings"]}
                for gate, file, where in case.expect:
                    self.assertIn((gate, f"{CASE_DIR}/{file}", case.line_of(file, where, self.role)), seen, args)
            self.assertEqual(self.snapshot(), before)
        self.assert_rows(BASE_ROWS)
        self.assertFalse(self.exists("public.items"))

    def write_case(self, case, role=None):
        import shutil
        shutil.rmtree(self.proj)
        self.write(base_revisions(self.role) + [case.revision(self.role)], role=role)


def _make(case):
    def test(self):
        self.run_case(case)
    test.__doc__ = f"{case.name}: {', '.join(e[0] for e in case.expect)}"
    return test


for _case in CASES:
    setattr(GateGalleryTest, f"test_{_case.name}", _make(_case))


class GalleryControlTest(GalleryCase):
    """The cases' good twins pass, so each bad case fails for its own reason."""

    def test_good_items_passes_and_leaves_no_probe_rows(self):
        self.apply_base([{"id": CASE_REV, "down": BASE_HEAD, "upgrade": items().replace("{role}", self.role),
                          "downgrade": ITEMS_DOWN, "isolation": ITEMS_FIXTURE}])
        doc = self.retort_json("upgrade", "head", expect=0)
        [step] = doc["steps"]
        self.assertEqual(step["revision"], CASE_REV)
        self.assertTrue(step["inverse_proved"], step)
        self.assertEqual([f for f in doc["findings"] + step["findings"] if f["severity"] == "error"], [])
        self.assertTrue(wait_for_sessions_gone(self.db))
        self.assert_rows(dict(BASE_ROWS, items=0))
        # And back: the downgrade drops items (0 rows, still confirmed).
        proc = self.retort("downgrade", "-1", expect=4)
        self.assertIn("public.items", proc.stderr)
        proc = self.retort("--format", "json", "downgrade", "-1", expect=0, confirmed=True)
        self.assertEqual(proc.confirm, "public.items=0")
        self.assert_rows(BASE_ROWS)

    def test_inverse_with_a_copy_is_proved_without_the_pipeline(self):
        # libpq cannot pipeline a COPY: such an inverse runs statement by
        # statement under the round trip's savepoint, and still proves.
        down = "COPY (SELECT 1) TO STDOUT;\n" + ITEMS_DOWN
        self.apply_base([{"id": CASE_REV, "down": BASE_HEAD, "upgrade": items().replace("{role}", self.role),
                          "downgrade": down, "isolation": ITEMS_FIXTURE}])
        doc = self.retort_json("upgrade", "head", expect=0)
        [step] = doc["steps"]
        self.assertTrue(step["inverse_proved"], step)
        self.assertTrue(self.exists("public.items"))
        self.assert_rows(dict(BASE_ROWS, items=0))

    def test_unique_without_tenant_is_a_warning(self):
        up = items(extra="CREATE UNIQUE INDEX items_name_key ON items (name);").replace("{role}", self.role)
        # Each probe tenant's row needs a name of its own here.
        fixture = {"items": "INSERT INTO items (tenant_id, name) VALUES (:tenant_id, gen_random_uuid()::text)"}
        self.apply_base([{"id": CASE_REV, "down": BASE_HEAD, "upgrade": up, "downgrade": ITEMS_DOWN,
                          "isolation": fixture}])
        doc = self.retort_json("upgrade", "head", expect=0)
        findings = doc["findings"] + doc["steps"][0]["findings"]
        warnings = [f for f in findings if f["id"] == "unique-without-tenant"]
        self.assertTrue(warnings, describe(findings))
        for f in warnings:
            self.assertEqual((f["severity"], f["table"]), ("warning", "public.items"), f)
        self.assertEqual([f for f in findings if f["severity"] == "error"], [], describe(findings))
        self.assert_rows(dict(BASE_ROWS, items=0))

    def test_refusal_text_output(self):
        """The same refusal for people: file:line: error[id], the hint, the progress line."""
        case = {c.name: c for c in CASES}["rls_not_forced"]
        self.apply_base([case.revision(self.role)])
        before = self.snapshot()
        proc = self.retort("upgrade", "head", expect=4)
        line = case.line_of("upgrade.sql", "CREATE TABLE items", self.role)
        self.assertIn(f"{CASE_DIR}/upgrade.sql:{line}: error[rls-not-forced]: ", proc.stderr)
        self.assertIn("  hint: ", proc.stderr)
        self.assertRegex(proc.stderr, rf"(?m)^\[1/1\] upgrade {CASE_REV} case rls_not_forced … refused$")
        self.assertRegex(proc.stderr, r"(?m)^error: ")
        self.assertEqual(proc.stdout, "")
        self.assertTrue(wait_for_sessions_gone(self.db))
        self.assertEqual(self.snapshot(), before)


class DestructiveGalleryTest(GalleryCase):
    """DROP TABLE with rows: only the live count, confirmed, lets it run."""

    EXPORTS = {"id": CASE_REV, "down": BASE_HEAD, "message": "exports",
               "upgrade": "CREATE TABLE exports (id int PRIMARY KEY, body text);\n"
                          "INSERT INTO exports VALUES (1, 'x'), (2, 'y'), (3, 'z');\n",
               "downgrade": "-- the rows go with it\nDROP TABLE exports;\n"}

    def test_downgrade_drop_table_with_wrong_confirm_count(self):
        self.apply_base([self.EXPORTS])
        self.retort_json("upgrade", "head", expect=0)
        rows = dict(BASE_ROWS, exports=3)
        self.assert_rows(rows)
        before = self.snapshot()
        self.assertEqual(before["versions"], [CASE_REV])

        dry = self.retort_json("downgrade", "-1", "--dry-run", expect=0)
        self.assertEqual(dry["confirm"], "public.exports=3")
        [d] = dry["destructive"]
        self.assertEqual((d["key"], d["what"], d["rows"], d["counted"], d["exists"], d["revision"], d["file"],
                          d["line"], d["statement"]),
                         ("public.exports", "DROP TABLE", 3, True, True, CASE_REV, f"{CASE_DIR}/downgrade.sql", 2,
                          "DROP TABLE exports"))

        for confirm, message in ((None, "destructive statements need confirmation"),
                                 ("public.exports=2", "--confirm does not match the live row counts"),
                                 ("public.exports=4", "--confirm does not match the live row counts"),
                                 ("public.notes=3", None)):
            with self.subTest(confirm=confirm):
                args = ["downgrade", "-1"] + (["--confirm", confirm] if confirm else [])
                doc = self.retort_json(*args, expect=4)
                self.assertEqual(doc["exit_name"], "refused")
                if message:
                    self.assertIn(message, doc["error"]["message"])
                self.assertIn("public.exports", doc["error"]["message"] + doc["error"]["hint"])
                self.assertEqual(doc["steps"], [])
                proc = self.retort(*args, expect=4)
                self.assertIn("public.exports", proc.stderr)
                self.assertTrue(wait_for_sessions_gone(self.db))
                self.assertEqual(self.snapshot(), before)
                self.assert_rows(rows)

        # The count of the review, confirmed: it runs.
        self.retort_json("downgrade", "-1", "--confirm", "public.exports=3", expect=0)
        self.assertFalse(self.exists("public.exports"))
        self.assert_rows(BASE_ROWS)

    def test_upgrade_drop_table_with_wrong_confirm_count(self):
        drop = {"id": CASE_REV, "down": BASE_HEAD, "message": "drop notes",
                "upgrade": "-- notes are gone\nDROP TABLE notes;\n",
                "downgrade": base_revisions(self.role)[1]["upgrade"]}
        self.apply_base([drop])
        before = self.snapshot()
        for confirm in (None, "public.notes=2", "public.notes=0"):
            with self.subTest(confirm=confirm):
                args = ["upgrade", "head"] + (["--confirm", confirm] if confirm else [])
                doc = self.retort_json(*args, expect=4)
                self.assertIn("public.notes", doc["error"]["message"] + doc["error"]["hint"])
                destructive = [f for f in doc["findings"] if f["id"] == "destructive"]
                self.assertTrue(destructive, describe(doc["findings"]))
                self.assertEqual((destructive[0]["file"], destructive[0]["line"]), (f"{CASE_DIR}/upgrade.sql", 2))
                self.assertTrue(wait_for_sessions_gone(self.db))
                self.assertEqual(self.snapshot(), before)
                self.assert_rows(BASE_ROWS)


class VerifyGalleryTest(GalleryCase):
    """`retort verify` runs every gate on its own scratch database (no
    confirmation): a good project passes, the bad cases are refused with the
    same ids, and no scratch database is left behind either way."""

    def verify(self, case):
        """verify on a scratch database of retort's own, with an app role of its own:
        a refused run leaves the role a committed step made (roles are cluster-wide)."""
        name = case.name if case else "good"
        self.role = f"app_{self.db.name}_{name[:12]}"
        self.stack.callback(self.drop_roles, self.role)
        self.proj = self.tmp / name
        revs = base_revisions(self.role)
        if case:
            revs.append(case.revision(self.role))
        else:
            revs.append({"id": CASE_REV, "down": BASE_HEAD, "upgrade": items().replace("{role}", self.role),
                         "downgrade": ITEMS_DOWN, "isolation": ITEMS_FIXTURE})
        self.write(revs)
        proc = run_retort("--format", "json", "verify", url=harness.server_conninfo(), cwd=self.proj)
        return proc, json.loads(proc.stdout)

    def test_good_project_verifies_without_confirmation(self):
        proc, doc = self.verify(None)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(doc["exit_name"], "ok")
        self.assertEqual(doc["revisions"], 3)
        self.assertEqual({s["phase"] for s in doc["steps"]}, {"up", "stairway", "down"})
        self.assertEqual(doc["steps"][-1]["label"], "downgrade a0tenants create tenants and the app role")

    def test_bad_cases_are_refused_by_verify(self):
        for name in ("delete_without_where", "rls_not_forced", "with_check_lets_a_write_b",
                     "downgrade_forgets_index"):
            case = {c.name: c for c in CASES}[name]
            with self.subTest(case=name):
                proc, doc = self.verify(case)
                self.assertEqual(proc.returncode, 4, proc.stdout + proc.stderr)
                self.assertEqual(doc["exit_name"], "refused")
                got = {(f["id"], f["file"]) for f in doc["findings"] if f["severity"] == "error"}
                for gate, file, _ in case.expect:
                    self.assertIn((gate, f"{CASE_DIR}/{file}"), got, describe(doc["findings"]))
        self.assertEqual(self.db.query("SELECT datname FROM pg_database WHERE datname LIKE 'retort_verify%%'"), [],
                         "verify left a scratch database behind")


class ExampleGoodPathTest(unittest.TestCase):
    """migrations_example/: base -> heads -> base, every gate passing, exit 0 both ways."""

    def test_example_up_and_down(self):
        conf = SOURCE_DIR / "migrations_example" / "retort.yaml"
        with ScratchDatabase("retort_gallery_example") as db:
            up = run_retort("-c", conf, "--format", "json", "upgrade", "heads", url=db.url, cwd=SOURCE_DIR)
            self.assertEqual(up.returncode, 0, up.stdout + up.stderr)
            doc = json.loads(up.stdout)
            self.assertEqual(len(doc["steps"]), 12)
            for step in doc["steps"]:
                self.assertTrue(step["inverse_proved"] or not step["transactional"], step)
            self.assertEqual(db.query("SELECT count(*) FROM tenants"), [(0,)], "a probe tenant survived")
            for (table,) in db.query("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                                     "AND relkind = 'r' AND relname NOT IN ('alembic_version', 'retort_history')"):
                self.assertEqual(db.query(f'SELECT count(*) FROM public."{table}"'), [(0,)], table)
            down = run_retort_confirmed("-c", conf, "--format", "json", "downgrade", "base", url=db.url,
                                        cwd=SOURCE_DIR)
            self.assertEqual(down.returncode, 0, down.stdout + down.stderr)
            self.assertTrue(down.confirm, "a downgrade to base drops tables: it needs confirming")
            self.assertEqual(len(json.loads(down.stdout)["steps"]), 12)
            self.assertEqual(db.query("SELECT count(*) FROM alembic_version"), [(0,)])
            left = db.query("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                            "AND relkind = 'r' AND relname NOT IN ('alembic_version', 'retort_history')")
            self.assertEqual(left, [])


class CoverageTest(unittest.TestCase):
    def test_every_gate_id_has_a_case(self):
        covered = {gate for case in CASES for gate, _, _ in case.expect}
        self.assertEqual(ALL_IDS - covered, set())


def tearDownModule():
    if OBSERVED:
        print("\ngate gallery: case, exit, error findings (id, file, line), other findings")
        for name, code, errors, others in sorted(OBSERVED):
            print(f"  {name}: exit {code}: {errors}" + (f" + {others}" if others else ""))


if __name__ == "__main__":
    unittest.main()
