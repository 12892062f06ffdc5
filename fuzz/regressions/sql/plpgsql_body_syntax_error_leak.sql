-- One row per customer organisation. Global: not tenant-scoped, listed in
-- tenancy.global_tables.
CREATE TABLE tenants (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL,
    plan       text NOT NULL DEFAULT 'free',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The role the application connects as. Roles are cluster-wide, so another
-- database of the same cluster may have created it already (or be creating it
-- right now: that is the unique_violation).
DO $$
BEGIN
    CREATE ROLE app_user LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION
    WHEN duplicate_object OR uni.que_violation THEN
        RAISE NOTICE 'role app_user already exists, keeping it';
END
$$;

GRANT SELECT ON tenants TO app_user;
