-- Append-only audit trail of each tenant: who did what to which object, and when.
CREATE TABLE audit_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    -- users.id, without a foreign key: the trail outlives the user.
    actor_id      uuid,
    action        text NOT NULL,          -- 'invoice.issued', 'project.archived', ...
    subject_table text,
    subject_id    uuid,
    detail        jsonb NOT NULL DEFAULT '{}'
);
-- Read only by time range (the RLS filter rides along). Rows arrive in time
-- order, so a BRIN index is tiny and cheap to maintain; there is deliberately
-- no B-tree led by tenant_id (waived in retort.yaml: tenant-index-missing).
CREATE INDEX audit_events_occurred_brin ON audit_events USING brin (occurred_at);

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events
    USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid)
    WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true)::uuid);

-- Append-only for the application: no UPDATE, no DELETE.
GRANT SELECT, INSERT ON audit_events TO app_user;
