REVOKE SELECT, INSERT ON audit_events FROM app_user;
DROP POLICY tenant_isolation ON audit_events;
DROP INDEX audit_events_occurred_brin;
DROP TABLE audit_events;
