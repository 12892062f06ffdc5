CREATE TABLE notes (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    body       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notes_tenant_created_idx ON notes (tenant_id, created_at);

ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
-- "Temporarily" open while the app learns to set app.current_tenant_id.
CREATE POLICY tenant_isolation ON notes
    USING (true);

GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO app_user;
