-- Billing branch. A line may bill a task, so this needs tasks (depends_on).
CREATE TABLE invoice_lines (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    invoice_id  uuid NOT NULL,
    task_id     uuid,
    description text NOT NULL,
    amount      numeric(12, 2) NOT NULL,
    CONSTRAINT invoice_lines_invoice_fkey FOREIGN KEY (tenant_id, invoice_id)
        REFERENCES invoices (tenant_id, id) ON DELETE CASCADE,
    -- Deleting a task keeps the billed line and clears only task_id.
    CONSTRAINT invoice_lines_task_fkey FOREIGN KEY (tenant_id, task_id)
        REFERENCES tasks (tenant_id, id) ON DELETE SET NULL (task_id)
);
CREATE INDEX invoice_lines_tenant_invoice_idx ON invoice_lines (tenant_id, invoice_id);
CREATE INDEX invoice_lines_tenant_task_idx ON invoice_lines (tenant_id, task_id);

ALTER TABLE invoice_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invoice_lines
    USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid)
    WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true)::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON invoice_lines TO app_user;
