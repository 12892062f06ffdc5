-- The slugs can be derived again from the names.
ALTER TABLE projects DROP COLUMN slug;
