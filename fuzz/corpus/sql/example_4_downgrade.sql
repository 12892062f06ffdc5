REVOKE SELECT, INSERT, UPDATE, DELETE ON tasks FROM app_user;
DROP POLICY tenant_isolation ON tasks;
DROP INDEX tasks_tenant_project_idx;
DROP TABLE tasks;
