-- CONCURRENTLY cannot run in a transaction block, and migration.yaml lacks
-- transactional: false.
CREATE INDEX CONCURRENTLY notes_tenant_body_idx ON notes (tenant_id, body);
