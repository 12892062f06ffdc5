REVOKE SELECT, INSERT, UPDATE ON invoices FROM app_user;
DROP POLICY tenant_isolation ON invoices;
DROP INDEX invoices_tenant_issued_idx;
DROP TABLE invoices;
