DROP INDEX CONCURRENTLY notes_tenant_body_idx;
