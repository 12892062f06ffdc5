-- Start of the billing branch (branch label "billing").
CREATE TABLE invoices (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number            text NOT NULL,
    total             numeric(12, 2) NOT NULL CHECK (total >= 0),
    currency          char(3) NOT NULL DEFAULT 'EUR',
    -- Issued by Stripe, unique across tenants (waived in retort.yaml).
    stripe_invoice_id text UNIQUE,
    issued_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT invoices_tenant_number_key UNIQUE (tenant_id, number),
    CONSTRAINT invoices_tenant_id_key UNIQUE (tenant_id, id)
);
CREATE INDEX invoices_tenant_issued_idx ON invoices (tenant_id, issued_at);

ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invoices
    USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid)
    WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true)::uuid);

GRANT SELECT, INSERT, UPDATE ON invoices TO app_user;
