-- Target of composite foreign keys: a task can only be assigned to a user of
-- its own tenant.
ALTER TABLE users ADD CONSTRAINT users_tenant_id_key UNIQUE (tenant_id, id);

-- Deleting a user keeps the task and clears only assignee_id.
ALTER TABLE tasks
    ADD COLUMN assignee_id uuid,
    ADD CONSTRAINT tasks_assignee_fkey FOREIGN KEY (tenant_id, assignee_id)
        REFERENCES users (tenant_id, id) ON DELETE SET NULL (assignee_id);
-- "My tasks", and the SET NULL when a user is deleted.
CREATE INDEX tasks_tenant_assignee_idx ON tasks (tenant_id, assignee_id);
