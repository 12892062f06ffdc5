-- Data migration: projects get a URL slug, derived from the name for the
-- projects that exist. The next revision (b4d6f8a0c2e3) makes it unique per
-- tenant with CREATE UNIQUE INDEX CONCURRENTLY.
ALTER TABLE projects ADD COLUMN slug text;

-- Backfill only the rows that have no slug yet (a narrow WHERE: rerunnable,
-- and it never overwrites a slug). Names that give the same slug within a
-- tenant are numbered -1, -2, ... in creation order.
-- The migration role must bypass row-level security (superuser or BYPASSRLS):
-- projects has FORCE ROW LEVEL SECURITY, so for an owner without it this
-- UPDATE would see no row, and SET NOT NULL below would fail.
UPDATE projects AS p
SET slug = s.slug
FROM (SELECT id,
             base || CASE WHEN count(*) OVER (PARTITION BY tenant_id, base) > 1
                          THEN '-' || row_number() OVER (PARTITION BY tenant_id, base ORDER BY created_at, id)
                          ELSE '' END AS slug
      FROM (SELECT id, tenant_id, created_at,
                   coalesce(nullif(trim(BOTH '-' FROM lower(regexp_replace(name, '[^[:alnum:]]+', '-', 'g'))), ''),
                            'project') AS base
            FROM projects
            WHERE slug IS NULL) AS named) AS s
WHERE p.id = s.id
  AND p.slug IS NULL;

ALTER TABLE projects ALTER COLUMN slug SET NOT NULL;
