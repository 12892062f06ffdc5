-- The base of every case in migrations_example/bad: the global tenants table
-- and the app role (NOLOGIN, no BYPASSRLS, owns nothing).
CREATE TABLE tenants (
    id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL
);

DO $$
BEGIN
    CREATE ROLE app_user NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        RAISE NOTICE 'role app_user already exists, keeping it';
END
$$;

GRANT SELECT ON tenants TO app_user;
