// The schema fingerprint query as it was before it was split into a head
// and a body and prepared once per connection (commit 3bc696f): the oracle
// the fingerprint tests compare PgDatabase's text with, byte for byte.
// $1: the managed schemas (text[]); $2: retort's own tables (oid[]);
// @SQLBODY@ as in pg_catalog.cc.
#pragma once

namespace retort {
namespace testing {

// clang-format off
constexpr const char kReferenceFingerprintSql[] = R"sql(
WITH ns AS (
  SELECT oid, nspname, nspowner, nspacl FROM pg_namespace
  WHERE nspname = ANY ($1::text[])
),
rel AS (
  SELECT c.oid, c.relname, c.relkind, c.relowner, c.relacl, c.relpersistence,
         c.reloptions, c.relispartition, c.relpartbound, c.reloftype,
         c.relrowsecurity, c.relforcerowsecurity,
         quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qn
  FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
    AND c.oid <> ALL ($2::oid[])
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.deptype = 'e')
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.refclassid = 'pg_class'::regclass
                      AND d.refobjid = ANY ($2::oid[]) AND d.deptype IN ('a', 'i'))
),
typ AS (
  SELECT t.oid, t.typtype, t.typbasetype, t.typtypmod, t.typnotnull,
         t.typdefaultbin, t.typrelid,
         quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS qn
  FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
  WHERE t.typtype IN ('e', 'd', 'r', 'c')
    AND (t.typtype <> 'c'
         OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                      AND d.deptype = 'e')
),
fn AS (
  SELECT p.*,
         quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' ||
           pg_get_function_identity_arguments(p.oid) || ')' AS qn
  FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
  WHERE NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.deptype = 'e')
),
acl AS (
  SELECT quote_ident(nspname) AS qn, COALESCE(nspacl, acldefault('n'::"char", nspowner)) AS acl
  FROM ns
  UNION ALL
  SELECT r.qn, COALESCE(r.relacl, acldefault(
           (CASE WHEN r.relkind = 'S' THEN 's' ELSE 'r' END)::"char", r.relowner))
  FROM rel r
  UNION ALL
  SELECT r.qn || '.' || quote_ident(att.attname), att.attacl
  FROM rel r
  JOIN pg_attribute att ON att.attrelid = r.oid AND att.attnum > 0
                       AND NOT att.attisdropped AND att.attacl IS NOT NULL
  UNION ALL
  SELECT f.qn, COALESCE(f.proacl, acldefault('f'::"char", f.proowner))
  FROM fn f
)
SELECT 'schema ' || quote_ident(nspname) || ' owner=' ||
       quote_ident(pg_get_userbyid(nspowner))
FROM ns
UNION ALL
SELECT CASE r.relkind WHEN 'r' THEN 'table ' WHEN 'p' THEN 'partitioned-table '
         WHEN 'v' THEN 'view ' WHEN 'm' THEN 'matview '
         ELSE 'foreign-table ' END
       || r.qn || ' owner=' || quote_ident(pg_get_userbyid(r.relowner))
       || CASE WHEN r.relpersistence = 'u' THEN ' UNLOGGED' ELSE '' END
       || CASE WHEN r.reloftype <> 0 THEN ' OF ' || format_type(r.reloftype, NULL)
               ELSE '' END
       || CASE WHEN r.relispartition THEN
            ' PARTITION OF ' || (SELECT i.inhparent::regclass::text FROM pg_inherits i
                                 WHERE i.inhrelid = r.oid LIMIT 1)
            || ' ' || pg_get_expr(r.relpartbound, r.oid)
          ELSE COALESCE(' INHERITS (' ||
            (SELECT string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno)
             FROM pg_inherits i WHERE i.inhrelid = r.oid) || ')', '') END
       || CASE WHEN r.relkind = 'p' THEN ' PARTITION BY ' || pg_get_partkeydef(r.oid)
               ELSE '' END
       || COALESCE(' WITH (' ||
            (SELECT string_agg(o, ', ' ORDER BY o COLLATE "C")
             FROM unnest(r.reloptions) o) || ')', '')
       || CASE WHEN r.relkind = 'f' THEN COALESCE(' SERVER ' ||
            (SELECT quote_ident(s.srvname) FROM pg_foreign_table ft
             JOIN pg_foreign_server s ON s.oid = ft.ftserver
             WHERE ft.ftrelid = r.oid), '') ELSE '' END
       || CASE WHEN r.relkind IN ('v', 'm') THEN ' AS ' || pg_get_viewdef(r.oid)
               ELSE '' END
FROM rel r WHERE r.relkind <> 'S'
UNION ALL
SELECT 'rls ' || r.qn
       || CASE WHEN r.relrowsecurity THEN ' enabled' ELSE ' disabled' END
       || CASE WHEN r.relforcerowsecurity THEN ' forced' ELSE ' not-forced' END
FROM rel r WHERE r.relkind IN ('r', 'p')
UNION ALL
SELECT 'column ' || r.qn || '.' || quote_ident(a.attname) || ' '
       || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN
            ' COLLATE ' || (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
                            FROM pg_collation co
                            JOIN pg_namespace cn ON cn.oid = co.collnamespace
                            WHERE co.oid = a.attcollation)
          ELSE '' END
       || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
       || CASE WHEN a.attgenerated = 's' THEN
            ' GENERATED ALWAYS AS (' || pg_get_expr(ad.adbin, ad.adrelid) || ') STORED'
          WHEN ad.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid)
          ELSE '' END
       || CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY'
            WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' ELSE '' END
FROM rel r
JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE r.relkind <> 'S'
UNION ALL
SELECT 'attribute ' || ty.qn || '.' || quote_ident(a.attname) || ' '
       || format_type(a.atttypid, a.atttypmod) || ' position='
       || row_number() OVER (PARTITION BY ty.oid ORDER BY a.attnum)
FROM typ ty
JOIN pg_attribute a ON a.attrelid = ty.typrelid AND a.attnum > 0 AND NOT a.attisdropped
WHERE ty.typtype = 'c'
UNION ALL
SELECT 'constraint ' || r.qn || '.' || quote_ident(con.conname) || ' '
       || pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN rel r ON r.oid = con.conrelid
UNION ALL
SELECT 'constraint ' || ty.qn || '.' || quote_ident(con.conname) || ' '
       || pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN typ ty ON ty.oid = con.contypid
UNION ALL
SELECT 'index ' || quote_ident(n.nspname) || '.' || quote_ident(ic.relname) || ' '
       || pg_get_indexdef(i.indexrelid)
       || CASE WHEN NOT i.indisvalid THEN ' INVALID' ELSE '' END
       || CASE WHEN i.indisclustered THEN ' CLUSTERED' ELSE '' END
FROM pg_index i
JOIN rel r ON r.oid = i.indrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
UNION ALL
SELECT 'policy ' || r.qn || '.' || quote_ident(p.polname)
       || CASE WHEN p.polpermissive THEN ' AS PERMISSIVE' ELSE ' AS RESTRICTIVE' END
       || ' FOR ' || CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
                     WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END
       || ' TO ' || (SELECT string_agg(g, ', ' ORDER BY g COLLATE "C")
                     FROM (SELECT CASE WHEN x = 0 THEN 'PUBLIC'
                                  ELSE quote_ident(pg_get_userbyid(x)) END AS g
                           FROM unnest(p.polroles) x) roles)
       || COALESCE(' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', '')
       || COALESCE(' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '')
FROM pg_policy p JOIN rel r ON r.oid = p.polrelid
UNION ALL
SELECT 'trigger ' || r.qn || '.' || quote_ident(tg.tgname) || ' '
       || pg_get_triggerdef(tg.oid)
       || CASE tg.tgenabled WHEN 'D' THEN ' DISABLED' WHEN 'R' THEN ' ENABLED REPLICA'
            WHEN 'A' THEN ' ENABLED ALWAYS' ELSE '' END
FROM pg_trigger tg JOIN rel r ON r.oid = tg.tgrelid
WHERE NOT tg.tgisinternal
UNION ALL
SELECT 'rule ' || r.qn || '.' || quote_ident(ru.rulename) || ' '
       || pg_get_ruledef(ru.oid)
       || CASE ru.ev_enabled WHEN 'D' THEN ' DISABLED' WHEN 'R' THEN ' ENABLED REPLICA'
            WHEN 'A' THEN ' ENABLED ALWAYS' ELSE '' END
FROM pg_rewrite ru JOIN rel r ON r.oid = ru.ev_class
WHERE ru.rulename <> '_RETURN'
UNION ALL
SELECT 'statistics ' || quote_ident(n.nspname) || '.' || quote_ident(s.stxname) || ' '
       || pg_get_statisticsobjdef(s.oid)
FROM pg_statistic_ext s JOIN ns n ON n.oid = s.stxnamespace
JOIN rel r ON r.oid = s.stxrelid
UNION ALL
SELECT 'sequence ' || r.qn || ' owner=' || quote_ident(pg_get_userbyid(r.relowner))
       || ' AS ' || format_type(s.seqtypid, NULL)
       || ' INCREMENT ' || s.seqincrement || ' MINVALUE ' || s.seqmin
       || ' MAXVALUE ' || s.seqmax || ' START ' || s.seqstart
       || ' CACHE ' || s.seqcache
       || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END
       || COALESCE((SELECT ' OWNED BY ' || d.refobjid::regclass::text || '.'
                           || quote_ident(a.attname)
                           || CASE WHEN d.deptype = 'i' THEN ' (identity)' ELSE '' END
                    FROM pg_depend d
                    JOIN pg_attribute a ON a.attrelid = d.refobjid
                                       AND a.attnum = d.refobjsubid
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid
                      AND d.refclassid = 'pg_class'::regclass
                      AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
                    LIMIT 1), '')
FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
UNION ALL
SELECT CASE f.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate '
         ELSE 'function ' END
       || f.qn
       || CASE WHEN f.prokind <> 'p' THEN ' RETURNS ' || pg_get_function_result(f.oid)
               ELSE '' END
       || CASE WHEN f.pronargdefaults > 0 THEN
            ' ARGUMENTS (' || pg_get_function_arguments(f.oid) || ')' ELSE '' END
       || ' LANGUAGE ' || (SELECT quote_ident(l.lanname) FROM pg_language l
                           WHERE l.oid = f.prolang)
       || CASE f.provolatile WHEN 'i' THEN ' IMMUTABLE' WHEN 's' THEN ' STABLE'
            ELSE ' VOLATILE' END
       || CASE WHEN f.proisstrict THEN ' STRICT' ELSE '' END
       || CASE WHEN f.prosecdef THEN ' SECURITY DEFINER' ELSE '' END
       || CASE WHEN f.proleakproof THEN ' LEAKPROOF' ELSE '' END
       || CASE f.proparallel WHEN 's' THEN ' PARALLEL SAFE'
            WHEN 'r' THEN ' PARALLEL RESTRICTED' ELSE '' END
       || CASE WHEN f.prokind IN ('f', 'w') THEN ' COST ' || f.procost ELSE '' END
       || CASE WHEN f.proretset THEN ' ROWS ' || f.prorows ELSE '' END
       || COALESCE(' SET ' || (SELECT string_agg(x, ', ' ORDER BY x COLLATE "C")
                               FROM unnest(f.proconfig) x), '')
       || COALESCE((SELECT ' SFUNC ' || ag.aggtransfn::regproc::text
                           || ' STYPE ' || format_type(ag.aggtranstype, NULL)
                           || ' FINALFUNC ' || ag.aggfinalfn::regproc::text
                           || ' COMBINEFUNC ' || ag.aggcombinefn::regproc::text
                           || COALESCE(' INITCOND ' || quote_literal(ag.agginitval), '')
                    FROM pg_aggregate ag WHERE ag.aggfnoid = f.oid), '')
       || ' owner=' || quote_ident(pg_get_userbyid(f.proowner))
       || ' body-sha256=' || encode(sha256(textsend(
            COALESCE(f.prosrc, '') || E'\n' || COALESCE(f.probin, '')
            @SQLBODY@)), 'hex')
FROM fn f
UNION ALL
SELECT 'type ' || ty.qn || ' ' || CASE ty.typtype
         WHEN 'e' THEN 'ENUM (' || COALESCE(
           (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
            FROM pg_enum e WHERE e.enumtypid = ty.oid), '') || ')'
         WHEN 'd' THEN 'DOMAIN ' || format_type(ty.typbasetype, ty.typtypmod)
           || CASE WHEN ty.typnotnull THEN ' NOT NULL' ELSE '' END
           || COALESCE(' DEFAULT ' || pg_get_expr(ty.typdefaultbin, 0), '')
         WHEN 'r' THEN 'RANGE (SUBTYPE = ' ||
           (SELECT format_type(rg.rngsubtype, NULL) FROM pg_range rg
            WHERE rg.rngtypid = ty.oid) || ')'
         ELSE 'COMPOSITE' END
FROM typ ty
UNION ALL
SELECT 'extension ' || quote_ident(e.extname) || ' VERSION ' || quote_literal(e.extversion)
       || ' SCHEMA ' || quote_ident(n.nspname)
FROM pg_extension e JOIN ns n ON n.oid = e.extnamespace
UNION ALL
SELECT 'grant ' || g.qn || ' ' || p.grantee || ' ' || p.privs
FROM acl g, LATERAL (
  SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
              ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee,
         string_agg(DISTINCT (a.privilege_type ||
                              CASE WHEN a.is_grantable THEN '*' ELSE '' END)
                             COLLATE "C", ',') AS privs
  FROM aclexplode(g.acl) a
  GROUP BY a.grantee) p
)sql";
// clang-format on

}  // namespace testing
}  // namespace retort
