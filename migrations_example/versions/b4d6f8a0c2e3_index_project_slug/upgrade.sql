-- Built without blocking writes to projects. If it fails (a duplicate slug,
-- a cancel) it leaves an INVALID index behind: DROP INDEX CONCURRENTLY
-- projects_tenant_slug_key, fix the cause, and run the upgrade again.
CREATE UNIQUE INDEX CONCURRENTLY projects_tenant_slug_key ON projects (tenant_id, slug);
