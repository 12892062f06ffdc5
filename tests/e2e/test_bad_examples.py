"""End to end: migrations_example/ passes every gate, and each project of
migrations_example/bad/ is refused with the finding its README names
(SPEC §6): the static ones by `retort lint`, the catalog, probe, round-trip
and destructive ones by `retort upgrade head` against a scratch database,
exit 4 (refused) with nothing of the refused step left behind."""
import json
import unittest
from pathlib import Path

from harness import SOURCE_DIR, ScratchDatabase, run_retort

EXAMPLE = Path("migrations_example")
BAD = EXAMPLE / "bad"

# case: [(finding id, file under the case's versions/, line)]; line 0 = the
# whole file. `retort lint` must report each (with exit 4).
STATIC = {
    "stub_downgrade": [
        ("downgrade-stub", "stub_downgrade_create_notes/downgrade.sql", 0),
    ],
    "delete_without_where": [
        ("delete-without-where", "delete_without_where_remove_demo_notes/upgrade.sql", 2),
    ],
    "update_without_where": [
        ("update-without-where", "update_without_where_add_note_title/upgrade.sql", 4),
    ],
    "concurrently_in_transaction": [
        ("non-transactional-in-transaction", "concurrently_in_txn_index_note_body/upgrade.sql", 3),
        ("non-transactional-in-transaction", "concurrently_in_txn_index_note_body/downgrade.sql", 1),
    ],
    # A new table with the tenant column and no fixture: known from the files.
    "isolation_fixture_missing": [
        ("isolation-fixture-missing", "fixture_missing_create_notes/upgrade.sql", 3),
    ],
}

# case: (the refused revision, the step before it, finding ids that must all
# be in the refusal's findings). All about table public.notes.
ONLINE = {
    "rls_not_forced": ("rls_not_forced", None, {"rls-not-forced"}),
    "policy_always_true": ("policy_always_true", None,
                           {"policy-always-true", "isolation-b-sees-a", "isolation-no-context-sees-rows"}),
    "cross_tenant_write": ("cross_tenant_write", None,
                           {"isolation-cross-tenant-write", "policy-not-tenant-bound"}),
    "tenant_index_missing": ("tenant_index_missing", None, {"tenant-index-missing"}),
    "forgotten_index_in_downgrade": ("forgotten_index", "base_notes", {"downgrade-not-inverse"}),
}


def config(case):
    return BAD / case / "retort.yaml"


def retort(*args, url=None):
    """retort from the source root, so finding files read migrations_example/..."""
    return run_retort(*args, url=url, cwd=SOURCE_DIR)


def json_of(test, proc, expect):
    test.assertEqual(proc.returncode, expect, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    doc = json.loads(proc.stdout)
    test.assertEqual(doc["exit_code"], expect)
    return doc


def describe(findings):
    return "\n".join(f"  {f.get('id')} {f.get('severity')} {f.get('table')} {f.get('file')}:{f.get('line')}"
                     for f in findings)


class BadExamplesLintTest(unittest.TestCase):
    """The static refusals: no database."""

    def test_every_case_is_listed_in_the_readme_and_here(self):
        cases = sorted(p.name for p in (SOURCE_DIR / BAD).iterdir()
                       if p.is_dir() and not p.name.startswith("_"))
        self.assertEqual(cases, sorted(list(STATIC) + list(ONLINE) + ["drop_table_with_rows"]))
        readme = (SOURCE_DIR / BAD / "README.md").read_text()
        for case in cases:
            self.assertIn(f"`{case}/`", readme, case)

    def test_static_cases_are_refused_by_lint_at_file_and_line(self):
        for case, expected in STATIC.items():
            with self.subTest(case=case):
                doc = json_of(self, retort("-c", config(case), "--format", "json", "lint"), 4)
                errors = [f for f in doc["findings"] if f["severity"] == "error"]
                got = sorted((f["id"], f["file"], f["line"]) for f in errors)
                want = sorted((i, str(BAD / case / "versions" / path), line) for i, path, line in expected)
                self.assertEqual(got, want, describe(doc["findings"]))

    def test_online_cases_pass_lint(self):
        # Their SQL is fine statically: only the live catalog, the probe,
        # the round trip or the row counts refuse them.
        for case in [c for c in ONLINE if c not in STATIC] + ["drop_table_with_rows"]:
            with self.subTest(case=case):
                doc = json_of(self, retort("-c", config(case), "--format", "json", "lint"), 0)
                self.assertEqual([f for f in doc["findings"] if f["severity"] != "confirm"], [],
                                 describe(doc["findings"]))

    def test_example_lint_is_clean(self):
        doc = json_of(self, retort("-c", EXAMPLE / "retort.yaml", "--format", "json", "lint"), 0)
        self.assertEqual([f for f in doc["findings"] if f["severity"] != "confirm"], [],
                         describe(doc["findings"]))
        # Only downgrades destroy anything.
        for f in doc["findings"]:
            self.assertTrue(f["file"].endswith("/downgrade.sql"), f)


class BadExamplesOnlineTest(unittest.TestCase):
    """The refusals that need the live catalog: upgrade head on a scratch database."""

    def versions(self, db):
        if not db.query("SELECT to_regclass('public.alembic_version') IS NOT NULL")[0][0]:
            return []
        return sorted(r[0] for r in db.query("SELECT version_num FROM public.alembic_version"))

    def test_online_cases_are_refused_and_rolled_back(self):
        for case, (revision, before, ids) in ONLINE.items():
            with self.subTest(case=case), ScratchDatabase("retort_bad") as db:
                if before is not None:
                    json_of(self, retort("-c", config(case), "--format", "json", "upgrade", before, url=db.url), 0)
                doc = json_of(self, retort("-c", config(case), "--format", "json", "upgrade", "head",
                                           url=db.url), 4)
                findings = doc.get("findings", [])
                self.assertEqual(doc["exit_name"], "refused")
                got = {f["id"] for f in findings if f["severity"] == "error"}
                self.assertTrue(ids <= got, f"want {sorted(ids)} in:\n{describe(findings)}")
                for f in findings:
                    if f["id"] in ids:
                        self.assertEqual(f["revision"], revision, f)
                        self.assertTrue(f["file"].startswith(str(BAD / case / "versions") + "/"), f)
                        self.assertIn(f["waived_because"], ("", None), f)
                        if f["id"] != "downgrade-not-inverse":
                            self.assertEqual(f["table"], "public.notes", f)
                        for key in ("message", "hint"):
                            self.assertTrue(f[key], f)
                # The refused step was rolled back: the version table did not move.
                self.assertEqual(self.versions(db), [before or "base_tenants"])
                if before is None:
                    self.assertFalse(db.query("SELECT to_regclass('public.notes') IS NOT NULL")[0][0])

    def test_forgotten_index_names_the_index(self):
        with ScratchDatabase("retort_bad") as db:
            case = "forgotten_index_in_downgrade"
            json_of(self, retort("-c", config(case), "--format", "json", "upgrade", "base_notes", url=db.url), 0)
            doc = json_of(self, retort("-c", config(case), "--format", "json", "upgrade", "head", url=db.url), 4)
            [f] = [f for f in doc["findings"] if f["id"] == "downgrade-not-inverse"]
            self.assertEqual(f["file"], str(BAD / case / "versions" / "forgotten_index_pin_notes" / "downgrade.sql"))
            self.assertIn("notes_tenant_body_idx", f["message"] + json.dumps(f.get("details", [])))

    def notes_with_rows(self, db, case, rows):
        json_of(self, retort("-c", config(case), "--format", "json", "upgrade", "base_notes", url=db.url), 0)
        db.query("INSERT INTO tenants (id, name) VALUES ('aaaaaaaa-0000-4000-8000-00000000000a', 'A')")
        db.query("INSERT INTO notes (tenant_id, body) SELECT 'aaaaaaaa-0000-4000-8000-00000000000a', 'n' || i "
                 "FROM generate_series(1, %s) AS i", (rows,))

    def test_drop_table_with_rows_runs_only_with_the_live_count_confirmed(self):
        case = "drop_table_with_rows"
        with ScratchDatabase("retort_bad") as db:
            self.notes_with_rows(db, case, 3)
            for confirm in ([], ["--confirm", "public.notes=2"]):
                doc = json_of(self, retort("-c", config(case), "--format", "json", "upgrade", "head", *confirm,
                                           url=db.url), 4)
                self.assertEqual(doc["exit_name"], "refused")
                self.assertEqual(self.versions(db), ["base_notes"])
                self.assertEqual(db.query("SELECT count(*) FROM notes")[0][0], 3)
            json_of(self, retort("-c", config(case), "--format", "json", "upgrade", "head",
                                 "--confirm", "public.notes=3", url=db.url), 0)
            self.assertEqual(self.versions(db), ["drop_table_with_rows"])
            self.assertFalse(db.query("SELECT to_regclass('public.notes') IS NOT NULL")[0][0])

    def test_drop_table_with_rows_refusal_lists_the_destructive_finding(self):
        case = "drop_table_with_rows"
        with ScratchDatabase("retort_bad") as db:
            self.notes_with_rows(db, case, 3)
            doc = json_of(self, retort("-c", config(case), "--format", "json", "upgrade", "head", url=db.url), 4)
            findings = doc.get("findings", [])
            found = [f for f in findings if f["id"] == "destructive"]
            self.assertTrue(found, f"no destructive finding in the refusal's findings:\n{json.dumps(doc, indent=1)}")
            self.assertEqual(found[0]["file"], str(BAD / case / "versions" / "drop_table_with_rows_drop_notes" /
                                                   "upgrade.sql"))
            self.assertEqual(found[0]["line"], 6)


class ExampleOnlineTest(unittest.TestCase):
    """migrations_example/ itself: upgrade head passes every gate; the one
    waived finding is reported as a warning with its reason."""

    def test_example_upgrades_with_the_audit_events_waiver(self):
        with ScratchDatabase("retort_example") as db:
            doc = json_of(self, retort("-c", EXAMPLE / "retort.yaml", "--format", "json", "upgrade", "heads",
                                       url=db.url), 0)
            heads = sorted(r[0] for r in db.query("SELECT version_num FROM public.alembic_version"))
            self.assertEqual(heads, ["c6e8a0b2d4f6"])
            findings = list(doc.get("findings", []))
            for step in doc.get("steps", []):
                findings += step.get("findings", [])
            self.assertEqual([f for f in findings if f["severity"] == "error"], [], describe(findings))
            waived = [f for f in findings if f["id"] == "tenant-index-missing"]
            self.assertTrue(waived, describe(findings))
            for f in waived:
                self.assertEqual((f["table"], f["severity"]), ("public.audit_events", "warning"), f)
                self.assertIn("append-only", f["waived_because"])


if __name__ == "__main__":
    unittest.main()
