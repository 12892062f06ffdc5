ALTER TABLE notes ADD COLUMN pinned boolean NOT NULL DEFAULT false;
CREATE INDEX notes_tenant_body_idx ON notes (tenant_id, body text_pattern_ops);
