REVOKE SELECT, INSERT, UPDATE, DELETE ON invoice_lines FROM app_user;
DROP POLICY tenant_isolation ON invoice_lines;
DROP INDEX invoice_lines_tenant_task_idx;
DROP INDEX invoice_lines_tenant_invoice_idx;
DROP TABLE invoice_lines;
