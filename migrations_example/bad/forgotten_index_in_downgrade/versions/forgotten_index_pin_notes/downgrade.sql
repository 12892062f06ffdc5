-- Forgets DROP INDEX notes_tenant_body_idx: the round trip leaves it behind.
ALTER TABLE notes DROP COLUMN pinned;
