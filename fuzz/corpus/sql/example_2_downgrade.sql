REVOKE SELECT, INSERT, UPDATE, DELETE ON projects FROM app_user;
DROP POLICY tenant_isolation ON projects;
DROP TABLE projects;
