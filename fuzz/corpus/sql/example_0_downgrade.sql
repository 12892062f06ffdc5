REVOKE SELECT ON tenants FROM app_user;

-- app_user is cluster-wide: drop it only when no object in any database of
-- the cluster still refers to it (grants in other databases, owned objects).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_user')
       AND NOT EXISTS (SELECT 1
                       FROM pg_shdepend d
                       JOIN pg_roles r ON r.oid = d.refobjid
                       WHERE d.refclassid = 'pg_authid'::regclass
                         AND r.rolname = 'app_user') THEN
        DROP ROLE app_user;
    END IF;
END
$$;

DROP TABLE tenants;
