REVOKE SELECT, INSERT, UPDATE, DELETE ON users FROM app_user;
DROP POLICY tenant_isolation ON users;
DROP INDEX users_tenant_created_idx;
DROP TABLE users;
