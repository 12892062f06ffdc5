DROP INDEX tasks_tenant_assignee_idx;
ALTER TABLE tasks
    DROP CONSTRAINT tasks_assignee_fkey,
    DROP COLUMN assignee_id;
ALTER TABLE users DROP CONSTRAINT users_tenant_id_key;
