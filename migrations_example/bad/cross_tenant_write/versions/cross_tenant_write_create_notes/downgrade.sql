REVOKE SELECT, INSERT, UPDATE, DELETE ON notes FROM app_user;
DROP POLICY tenant_isolation ON notes;
DROP INDEX notes_tenant_created_idx;
DROP TABLE notes;
