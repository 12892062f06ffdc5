// PgDatabase: what retort reads from pg_catalog (the schema fingerprint, the
// facts the safety gates judge) and the read-only pre-flight counts.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "pg_internal.h"
#include "retort/pg/pg_database.h"

namespace retort {
namespace {

using pg_detail::ArrayLiteral;
using pg_detail::Rows;

// The fingerprint query: one row per object, one column: "<kind> <qualified
// name> <definition>". A head (kFullHeadSql or kScopedHeadSql) picks the
// objects into CTEs, the body (FingerprintBody) prints them:
//   ns   the managed schemas ($1::text[]);
//   nsl  the schemas whose own line and grants are printed;
//   rel  relations (tables, views, matviews, foreign tables, sequences);
//   typ  enum, domain, range and composite types;
//   fn   functions, procedures, aggregates;
//   ext  extensions (extname, extversion, nspname).
// retort's own tables, left out with what they own, are the OIDs in the
// setting retort.fingerprint_own (set in the same round trip as the
// savepoint, along the session's search_path: see RunFingerprint).
// Runs with search_path = pg_catalog, so regclass/regproc casts, format_type
// and the pg_get_*def functions qualify every user object, and catalog names
// need no prefix. Every aggregate orders with COLLATE "C" so that the text
// does not depend on the database's collation. The per-object functions
// (pg_get_*def, format_type, pg_get_expr) appear only in the body, so they
// run only on the objects the head picked.

// One evaluation per execution (an InitPlan), not one per catalog row; cast
// again where it is used ("= ANY ((SELECT ...))" would be a subquery).
#define RETORT_OWN \
  "(SELECT current_setting('retort.fingerprint_own')::oid[])"

// What rel, typ and fn keep of what a head picked: no object of an
// extension, none of retort's own tables (or what they own).
#define RETORT_REL_COLUMNS \
  "c.oid, c.relname, c.relkind, c.relowner, c.relacl, c.relpersistence,\n" \
  "         c.reloptions, c.relispartition, c.relpartbound, c.reloftype,\n" \
  "         c.relrowsecurity, c.relforcerowsecurity,\n" \
  "         quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qn\n"
#define RETORT_REL_FILTER \
  "c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')\n" \
  "    AND c.oid <> ALL (" RETORT_OWN "::oid[])\n" \
  "    AND NOT EXISTS (SELECT 1 FROM pg_depend d\n" \
  "                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid\n" \
  "                      AND d.deptype = 'e')\n" \
  "    AND NOT EXISTS (SELECT 1 FROM pg_depend d\n" \
  "                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid\n" \
  "                      AND d.refclassid = 'pg_class'::regclass\n" \
  "                      AND d.refobjid = ANY (" RETORT_OWN "::oid[]) AND d.deptype IN ('a', 'i'))\n"
#define RETORT_TYP_COLUMNS \
  "t.oid, t.typtype, t.typbasetype, t.typtypmod, t.typnotnull,\n" \
  "         t.typdefaultbin, t.typrelid,\n" \
  "         quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS qn\n"
// A composite type, unless it is a table's row type: its pg_class row is
// relkind 'c'. The full head checks every row type against one hashed set
// of those (pg_type holds a row type per table); the scoped head looks up
// the few it picked.
#define RETORT_TYP_FILTER(composite_check) \
  "t.typtype IN ('e', 'd', 'r', 'c')\n" \
  "    AND (t.typtype <> 'c'\n" \
  "         OR " composite_check ")\n" \
  "    AND NOT EXISTS (SELECT 1 FROM pg_depend d\n" \
  "                    WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid\n" \
  "                      AND d.deptype = 'e')\n"
#define RETORT_FN_COLUMNS \
  "p.*,\n" \
  "         quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' ||\n" \
  "           pg_get_function_identity_arguments(p.oid) || ')' AS qn\n"
#define RETORT_FN_FILTER \
  "NOT EXISTS (SELECT 1 FROM pg_depend d\n" \
  "                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid\n" \
  "                    AND d.deptype = 'e')\n"
#define RETORT_NS \
  "ns AS (\n" \
  "  SELECT oid, nspname, nspowner, nspacl FROM pg_namespace\n" \
  "  WHERE nspname = ANY ($1::text[])\n" \
  "),\n"

// Everything in the managed schemas.
constexpr const char kFullHeadSql[] =
    "WITH " RETORT_NS
    "nsl AS (SELECT * FROM ns),\n"
    "rel AS (\n"
    "  SELECT " RETORT_REL_COLUMNS
    "  FROM pg_class c JOIN ns n ON n.oid = c.relnamespace\n"
    "  WHERE " RETORT_REL_FILTER
    "),\n"
    "typ AS (\n"
    "  SELECT " RETORT_TYP_COLUMNS
    "  FROM pg_type t JOIN ns n ON n.oid = t.typnamespace\n"
    "  WHERE " RETORT_TYP_FILTER(
        "t.typrelid IN (SELECT c.oid FROM pg_class c WHERE c.relkind = 'c')")
    "),\n"
    "fn AS (\n"
    "  SELECT " RETORT_FN_COLUMNS
    "  FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace\n"
    "  WHERE " RETORT_FN_FILTER
    "),\n"
    "ext AS (\n"
    "  SELECT e.extname, e.extversion, n.nspname\n"
    "  FROM pg_extension e JOIN ns n ON n.oid = e.extnamespace\n"
    "),\n";

// The objects of a FingerprintScope, found by name through the catalogs'
// name indexes: $2/$3 the schema and name parts of its relations, $4/$5 of
// its other objects ('' schema: any managed schema). A relation brings its
// partitions and inheritance children, at every level (DDL on a parent
// reaches them), and the sequences all of those own (serial, identity,
// OWNED BY). No extensions.
constexpr const char kScopedHeadSql[] =
    "WITH RECURSIVE " RETORT_NS
    "nsl AS (\n"
    "  SELECT n.* FROM ns n\n"
    "  WHERE EXISTS (SELECT 1 FROM unnest($4::text[], $5::text[]) AS w(s, o)\n"
    "                WHERE w.o = n.nspname AND (w.s = '' OR w.s = n.nspname))\n"
    "),\n"
    "named AS (\n"
    "  SELECT c.oid FROM unnest($2::text[], $3::text[]) AS w(s, o)\n"
    "  JOIN ns n ON w.s = '' OR w.s = n.nspname\n"
    "  JOIN pg_class c ON c.relname = w.o::name AND c.relnamespace = n.oid\n"
    "),\n"
    "tree AS (\n"
    "  SELECT oid FROM named\n"
    "  UNION\n"
    "  SELECT i.inhrelid FROM tree t JOIN pg_inherits i ON i.inhparent = t.oid\n"
    "),\n"
    "picked AS (\n"
    "  SELECT oid FROM tree\n"
    "  UNION\n"
    "  SELECT d.objid FROM tree k\n"
    "  JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass\n"
    "                  AND d.refobjid = k.oid AND d.refobjsubid > 0\n"
    "  WHERE d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')\n"
    "),\n"
    "rel AS (\n"
    "  SELECT " RETORT_REL_COLUMNS
    "  FROM picked k JOIN pg_class c ON c.oid = k.oid\n"
    "  JOIN ns n ON n.oid = c.relnamespace\n"
    "  WHERE " RETORT_REL_FILTER
    "),\n"
    "typ AS (\n"
    "  SELECT " RETORT_TYP_COLUMNS
    "  FROM pg_type t JOIN ns n ON n.oid = t.typnamespace\n"
    "  WHERE t.oid IN (\n"
    "      SELECT t2.oid FROM unnest($4::text[], $5::text[]) AS w(s, o)\n"
    "      JOIN ns n2 ON w.s = '' OR w.s = n2.nspname\n"
    "      JOIN pg_type t2 ON t2.typname = w.o::name AND t2.typnamespace = n2.oid)\n"
    "    AND " RETORT_TYP_FILTER(
        "(SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'")
    "),\n"
    "fn AS (\n"
    "  SELECT " RETORT_FN_COLUMNS
    "  FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace\n"
    "  WHERE p.oid IN (\n"
    "      SELECT p2.oid FROM unnest($4::text[], $5::text[]) AS w(s, o)\n"
    "      JOIN ns n2 ON w.s = '' OR w.s = n2.nspname\n"
    "      JOIN pg_proc p2 ON p2.proname = w.o::name AND p2.pronamespace = n2.oid)\n"
    "    AND " RETORT_FN_FILTER
    "),\n"
    "ext AS (\n"
    "  SELECT e.extname, e.extversion, ''::name AS nspname\n"
    "  FROM pg_extension e WHERE false\n"
    "),\n";

#undef RETORT_REL_COLUMNS
#undef RETORT_REL_FILTER
#undef RETORT_TYP_COLUMNS
#undef RETORT_TYP_FILTER
#undef RETORT_FN_COLUMNS
#undef RETORT_FN_FILTER
#undef RETORT_NS
#undef RETORT_OWN

// The body's parts: the acl CTE's and the branches of the one UNION ALL.
// `relations` marks a part that a relations-only scope needs; the others
// read nsl, typ, fn or ext, which such a scope leaves empty, so the
// relations-only body (one executor start-up of about half the nodes) prints
// exactly the same lines.
struct FingerprintPart {
  bool relations;
  const char* sql;
};

constexpr FingerprintPart kAclParts[] = {
    {false, R"sql(  SELECT quote_ident(nspname) AS qn, COALESCE(nspacl, acldefault('n'::"char", nspowner)) AS acl
  FROM nsl)sql"},
    {true, R"sql(  SELECT r.qn, COALESCE(r.relacl, acldefault(
           (CASE WHEN r.relkind = 'S' THEN 's' ELSE 'r' END)::"char", r.relowner))
  FROM rel r)sql"},
    {true, R"sql(  SELECT r.qn || '.' || quote_ident(att.attname), att.attacl
  FROM rel r
  JOIN pg_attribute att ON att.attrelid = r.oid AND att.attnum > 0
                       AND NOT att.attisdropped AND att.attacl IS NOT NULL)sql"},
    {false, R"sql(  SELECT f.qn, COALESCE(f.proacl, acldefault('f'::"char", f.proowner))
  FROM fn f)sql"},
};

constexpr FingerprintPart kBodyBranches[] = {
    {false, R"sql(SELECT 'schema ' || quote_ident(nspname) || ' owner=' ||
       quote_ident(pg_get_userbyid(nspowner))
FROM nsl)sql"},
    {true, R"sql(SELECT CASE r.relkind WHEN 'r' THEN 'table ' WHEN 'p' THEN 'partitioned-table '
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
FROM rel r WHERE r.relkind <> 'S')sql"},
    {true, R"sql(SELECT 'rls ' || r.qn
       || CASE WHEN r.relrowsecurity THEN ' enabled' ELSE ' disabled' END
       || CASE WHEN r.relforcerowsecurity THEN ' forced' ELSE ' not-forced' END
FROM rel r WHERE r.relkind IN ('r', 'p'))sql"},
    {true, R"sql(SELECT 'column ' || r.qn || '.' || quote_ident(a.attname) || ' '
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
WHERE r.relkind <> 'S')sql"},
    {false, R"sql(SELECT 'attribute ' || ty.qn || '.' || quote_ident(a.attname) || ' '
       || format_type(a.atttypid, a.atttypmod) || ' position='
       || row_number() OVER (PARTITION BY ty.oid ORDER BY a.attnum)
FROM typ ty
JOIN pg_attribute a ON a.attrelid = ty.typrelid AND a.attnum > 0 AND NOT a.attisdropped
WHERE ty.typtype = 'c')sql"},
    {true, R"sql(SELECT 'constraint ' || r.qn || '.' || quote_ident(con.conname) || ' '
       || pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN rel r ON r.oid = con.conrelid)sql"},
    {false, R"sql(SELECT 'constraint ' || ty.qn || '.' || quote_ident(con.conname) || ' '
       || pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN typ ty ON ty.oid = con.contypid)sql"},
    {true, R"sql(SELECT 'index ' || quote_ident(n.nspname) || '.' || quote_ident(ic.relname) || ' '
       || pg_get_indexdef(i.indexrelid)
       || CASE WHEN NOT i.indisvalid THEN ' INVALID' ELSE '' END
       || CASE WHEN i.indisclustered THEN ' CLUSTERED' ELSE '' END
FROM pg_index i
JOIN rel r ON r.oid = i.indrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace)sql"},
    {true, R"sql(SELECT 'policy ' || r.qn || '.' || quote_ident(p.polname)
       || CASE WHEN p.polpermissive THEN ' AS PERMISSIVE' ELSE ' AS RESTRICTIVE' END
       || ' FOR ' || CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
                     WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END
       || ' TO ' || (SELECT string_agg(g, ', ' ORDER BY g COLLATE "C")
                     FROM (SELECT CASE WHEN x = 0 THEN 'PUBLIC'
                                  ELSE quote_ident(pg_get_userbyid(x)) END AS g
                           FROM unnest(p.polroles) x) roles)
       || COALESCE(' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', '')
       || COALESCE(' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '')
FROM pg_policy p JOIN rel r ON r.oid = p.polrelid)sql"},
    {true, R"sql(SELECT 'trigger ' || r.qn || '.' || quote_ident(tg.tgname) || ' '
       || pg_get_triggerdef(tg.oid)
       || CASE tg.tgenabled WHEN 'D' THEN ' DISABLED' WHEN 'R' THEN ' ENABLED REPLICA'
            WHEN 'A' THEN ' ENABLED ALWAYS' ELSE '' END
FROM pg_trigger tg JOIN rel r ON r.oid = tg.tgrelid
WHERE NOT tg.tgisinternal)sql"},
    {true, R"sql(SELECT 'rule ' || r.qn || '.' || quote_ident(ru.rulename) || ' '
       || pg_get_ruledef(ru.oid)
       || CASE ru.ev_enabled WHEN 'D' THEN ' DISABLED' WHEN 'R' THEN ' ENABLED REPLICA'
            WHEN 'A' THEN ' ENABLED ALWAYS' ELSE '' END
FROM pg_rewrite ru JOIN rel r ON r.oid = ru.ev_class
WHERE ru.rulename <> '_RETURN')sql"},
    {true, R"sql(SELECT 'statistics ' || quote_ident(n.nspname) || '.' || quote_ident(s.stxname) || ' '
       || pg_get_statisticsobjdef(s.oid)
FROM pg_statistic_ext s JOIN ns n ON n.oid = s.stxnamespace
JOIN rel r ON r.oid = s.stxrelid)sql"},
    {true, R"sql(SELECT 'sequence ' || r.qn || ' owner=' || quote_ident(pg_get_userbyid(r.relowner))
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
FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid)sql"},
    {false, R"sql(SELECT CASE f.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate '
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
FROM fn f)sql"},
    {false, R"sql(SELECT 'type ' || ty.qn || ' ' || CASE ty.typtype
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
FROM typ ty)sql"},
    {false, R"sql(SELECT 'extension ' || quote_ident(x.extname) || ' VERSION ' || quote_literal(x.extversion)
       || ' SCHEMA ' || quote_ident(x.nspname)
FROM ext x)sql"},
    {true, R"sql(SELECT 'grant ' || g.qn || ' ' || p.grantee || ' ' || p.privs
FROM acl g, LATERAL (
  SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
              ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee,
         string_agg(DISTINCT (a.privilege_type ||
                              CASE WHEN a.is_grantable THEN '*' ELSE '' END)
                             COLLATE "C", ',') AS privs
  FROM aclexplode(g.acl) a
  GROUP BY a.grantee) p)sql"},
};


/// The body after a head: all of it, or only what a relations-only scope
/// needs.
std::string FingerprintBody(bool relations_only) {
  std::string sql = "acl (qn, acl) AS (\n";
  const char* sep = "";
  for (const FingerprintPart& p : kAclParts) {
    if (relations_only && !p.relations) continue;
    (sql += sep) += p.sql;
    sep = "\n  UNION ALL\n";
  }
  sql += "\n)\n";
  sep = "";
  for (const FingerprintPart& p : kBodyBranches) {
    if (relations_only && !p.relations) continue;
    (sql += sep) += p.sql;
    sep = "\nUNION ALL\n";
  }
  return sql;
}

/// One object per line: a newline (or backslash) inside a definition is
/// written as an escape.
std::string OneLineDefinition(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

int PgDatabase::ServerVersionNum() {
  if (server_version_num_ == 0) {
    Rows r = Query("SELECT current_setting('server_version_num')::int");
    server_version_num_ = static_cast<int>(r.Int(0, 0));
  }
  return server_version_num_;
}

std::string PgDatabase::OwnTableOids() {
  std::vector<std::string> names = {Qualified(version_table_)};
  if (history_table_) names.push_back(Qualified(*history_table_));
  Rows r = Query(
      "SELECT COALESCE(array_agg(to_regclass(n)::oid) FILTER "
      "(WHERE to_regclass(n) IS NOT NULL), '{}')::text "
      "FROM unnest($1::text[]) n",
      {ArrayLiteral(names)});
  return r.Text(0, 0);
}

std::vector<pg_detail::PipelineStatement> PgDatabase::FingerprintRead(const std::vector<std::string>& schemas,
                                                                     const FingerprintQuery& query) {
  std::string sql = query.head + FingerprintBody(query.relations_only);
  // SQL-standard function bodies (BEGIN ATOMIC, PostgreSQL 14+) live in
  // prosqlbody, not prosrc.
  const std::string sqlbody =
      ServerVersionNum() >= 140000
          ? "|| E'\\n' || COALESCE(pg_get_function_sqlbody(f.oid), '')"
          : "";
  if (const size_t at = sql.find("@SQLBODY@"); at != std::string::npos) sql.replace(at, 9, sqlbody);
  // Constants in defaults, bounds and view texts print through their
  // types' output functions: the same settings every time. No JIT:
  // compiling this large query would cost more than running it. The
  // statement is prepared once per connection and, with a generic plan, is
  // planned once too (PostgreSQL replans it by itself when a catalog change
  // invalidates the plan); the same settings at every execution keep that
  // plan valid.
  std::string set =
      "SELECT pg_catalog.set_config('jit', 'off', true), "
      "pg_catalog.set_config('search_path', 'pg_catalog', true), "
      "pg_catalog.set_config('TimeZone', 'UTC', true), "
      "pg_catalog.set_config('DateStyle', 'ISO, YMD', true), "
      "pg_catalog.set_config('IntervalStyle', 'postgres', true), "
      "pg_catalog.set_config('extra_float_digits', '1', true), "
      "pg_catalog.set_config('bytea_output', 'hex', true)";
  if (ServerVersionNum() >= 120000) {
    set += ", pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true)";
  }
  set += query.settings;

  std::vector<std::string> own = {Qualified(version_table_)};
  if (history_table_) own.push_back(Qualified(*history_table_));
  std::vector<std::string> all = {ArrayLiteral(schemas)};
  all.insert(all.end(), query.params.begin(), query.params.end());
  // Retort's own tables resolved along the session's search_path (before
  // the settings change it) into retort.fingerprint_own, which the query
  // reads; the settings; the query. All three prepared: parsing and
  // planning even the two small ones cost more than running them.
  return {{"SELECT pg_catalog.set_config('retort.fingerprint_own', "
           "(SELECT COALESCE(pg_catalog.array_agg(pg_catalog.to_regclass(n)::oid) "
           "FILTER (WHERE pg_catalog.to_regclass(n) IS NOT NULL), '{}')::text "
           "FROM pg_catalog.unnest($1::text[]) n), true)",
           {ArrayLiteral(own)}, "retort_fingerprint_own"},
          {set, {}, std::string(query.name) + "_settings"},
          {sql, all, query.name, true}};
}

std::vector<std::string> PgDatabase::FingerprintLines(const Rows& rows) {
  std::vector<std::string> lines;
  lines.reserve(rows.size());
  for (int i = 0; i < rows.size(); ++i) lines.push_back(OneLineDefinition(rows.Text(i, 0)));
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::vector<pg_detail::PipelineStatement> PgDatabase::FingerprintUnderSavepoint(
    const std::vector<std::string>& schemas, const FingerprintQuery& query, size_t* read) {
  std::vector<pg_detail::PipelineStatement> batch = {{"SAVEPOINT retort_fingerprint"}};
  for (pg_detail::PipelineStatement& s : FingerprintRead(schemas, query)) batch.push_back(std::move(s));
  *read = batch.size() - 1;
  batch.back().sync_after = false;  // the caller ends the segment
  batch.push_back({"ROLLBACK TO SAVEPOINT retort_fingerprint"});
  batch.push_back({"RELEASE SAVEPOINT retort_fingerprint"});
  return batch;
}

std::vector<std::string> PgDatabase::RunFingerprint(const std::vector<std::string>& schemas,
                                                    const FingerprintQuery& query) {
  const bool nested = in_step_;
  // One round trip (a pipeline): a savepoint inside a step (rolling it
  // back restores the settings and leaves the step exactly as it was), else
  // one read-only snapshot for all reads; the read; the end.
  size_t read = 0;
  std::vector<pg_detail::PipelineStatement> batch;
  if (nested) {
    batch = FingerprintUnderSavepoint(schemas, query, &read);
    batch.at(read).sync_after = true;  // an error skips only the read: the rollback follows
  } else {
    batch.push_back({"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"});
    for (pg_detail::PipelineStatement& s : FingerprintRead(schemas, query)) batch.push_back(std::move(s));
    read = batch.size() - 1;
    batch.push_back({"ROLLBACK"});
  }
  for (int attempt = 0;; ++attempt) {
    std::vector<pg_detail::PipelineOutcome> out = RunPipeline(batch);
    for (size_t i = read + 1; i < out.size(); ++i) {
      if (out[i].error) throw *out[i].error;  // the step transaction had failed
    }
    const pg_detail::PipelineOutcome* failed = nullptr;
    for (size_t i = 0; i <= read && failed == nullptr; ++i) {
      if (out[i].error) failed = &out[i];
    }
    if (failed == nullptr) return FingerprintLines(*out[read].rows);
    // The prepared statement vanished (a script ran DEALLOCATE ALL):
    // RunPipeline forgot it, so the next attempt prepares it again.
    if (failed->error->sqlstate() != "26000" || attempt > 0) throw *failed->error;
  }
}

StatementsOutcome PgDatabase::ExecStatementsAfterFingerprint(const std::vector<std::string>& statements,
                                                             const std::vector<std::string>& schemas,
                                                             const FingerprintScope& scope,
                                                             std::vector<std::string>* before) {
  RequireStep("ExecStatementsAfterFingerprint");
  const FingerprintQuery query = ScopedFingerprintQuery(scope);
  // One segment: the read under its savepoint, then the statements. A
  // failed read skips the statements too, so nothing has changed when it is
  // read again on its own (a prepared statement a script DEALLOCATEd).
  size_t read = 0;
  std::vector<pg_detail::PipelineOutcome> prefix;
  StatementsOutcome ran = ExecStatementsWith(FingerprintUnderSavepoint(schemas, query, &read), statements, &prefix);
  const auto failed = std::find_if(prefix.begin(), prefix.end(),
                                   [](const pg_detail::PipelineOutcome& o) { return o.error.has_value(); });
  if (failed == prefix.end()) {
    *before = FingerprintLines(*prefix.at(read).rows);
    return ran;
  }
  if (failed == prefix.begin()) throw *failed->error;  // the step transaction had failed
  Raw("ROLLBACK TO SAVEPOINT retort_fingerprint; RELEASE SAVEPOINT retort_fingerprint");
  if (failed->error->sqlstate() != "26000") throw *failed->error;
  *before = RunFingerprint(schemas, query);
  return ExecStatements(statements);
}

TryResult PgDatabase::TryStatements(const std::vector<std::string>& statements,
                                    const std::vector<std::string>& schemas, const FingerprintScope* scope) {
  RequireStep("TryStatements");
  const FingerprintQuery query = scope == nullptr ? FullFingerprintQuery() : ScopedFingerprintQuery(*scope);
  // One round trip: SAVEPOINT, the statements, the fingerprint read (a
  // Sync: an error skips the rest of these), then ROLLBACK TO SAVEPOINT,
  // which restores the step and the settings whatever happened.
  std::vector<pg_detail::PipelineStatement> batch = {{"SAVEPOINT retort_round_trip"}};
  for (const std::string& s : statements) batch.push_back({s});
  for (pg_detail::PipelineStatement& s : FingerprintRead(schemas, query)) batch.push_back(std::move(s));
  const size_t read = batch.size() - 1;
  batch.push_back({"ROLLBACK TO SAVEPOINT retort_round_trip"});
  batch.push_back({"RELEASE SAVEPOINT retort_round_trip"});
  for (int attempt = 0;; ++attempt) {
    std::vector<pg_detail::PipelineOutcome> out = RunPipeline(batch);
    for (size_t i = read + 1; i < out.size(); ++i) {
      if (out[i].error) throw *out[i].error;  // the step transaction had failed
    }
    if (out.front().error) throw *out.front().error;
    TryResult result;
    for (size_t i = 0; i < statements.size(); ++i) {
      if (out[i + 1].error) {
        result.failed = i;
        result.error = out[i + 1].error;
        return result;
      }
    }
    for (size_t i = statements.size() + 1; i <= read; ++i) {
      if (!out[i].error) continue;
      if (out[i].error->sqlstate() == "26000" && attempt == 0) break;  // prepared again next attempt
      throw *out[i].error;
    }
    if (!out[read].rows) continue;
    result.fingerprint = FingerprintLines(*out[read].rows);
    return result;
  }
}

PgDatabase::FingerprintQuery PgDatabase::FullFingerprintQuery() {
  return {"retort_fingerprint", kFullHeadSql, {}, "", false};
}

PgDatabase::FingerprintQuery PgDatabase::ScopedFingerprintQuery(const FingerprintScope& scope) {
  std::vector<std::string> rel_schemas, rel_names, other_schemas, other_names;
  for (const auto& n : scope.relations) {
    rel_schemas.push_back(n.schema);
    rel_names.push_back(n.name);
  }
  for (const auto& n : scope.others) {
    other_schemas.push_back(n.schema);
    other_names.push_back(n.name);
  }
  // Index look-ups only, whatever the statistics said when the plan was
  // made: a catalog that was small then (pg_inherits, pg_rewrite,
  // pg_sequence...) may not be later, and the plan is kept.
  const bool relations_only = scope.others.empty();
  return {relations_only ? "retort_fingerprint_of_relations" : "retort_fingerprint_of", kScopedHeadSql,
          {ArrayLiteral(rel_schemas), ArrayLiteral(rel_names), ArrayLiteral(other_schemas),
           ArrayLiteral(other_names)},
          ", pg_catalog.set_config('enable_seqscan', 'off', true)", relations_only};
}

std::vector<std::string> PgDatabase::SchemaFingerprint(
    const std::vector<std::string>& schemas) {
  return RunFingerprint(schemas, FullFingerprintQuery());
}

std::vector<std::string> PgDatabase::SchemaFingerprintOf(
    const std::vector<std::string>& schemas, const FingerprintScope& scope) {
  return RunFingerprint(schemas, ScopedFingerprintQuery(scope));
}

// --- facts for the RLS gates -------------------------------------------------

namespace {

// The requested tables, by OID: $1/$2 are the schema and table parts of
// each name ("" schema: along the search_path). Index lookups only, so the
// cost does not grow with the number of tables in the database.
constexpr const char kNamedTablesSql[] = R"sql(
SELECT DISTINCT c.oid
FROM unnest($1::text[], $2::text[]) AS w(nsp, rel)
JOIN pg_catalog.pg_class c ON c.oid = CASE
  WHEN w.nsp = '' THEN pg_catalog.to_regclass(pg_catalog.quote_ident(w.rel))::oid
  ELSE (SELECT c2.oid FROM pg_catalog.pg_class c2
        JOIN pg_catalog.pg_namespace n2 ON n2.oid = c2.relnamespace
        WHERE n2.nspname = w.nsp AND c2.relname = w.rel) END
WHERE c.relkind IN ('r', 'p')
)sql";

// Every table of the schemas $1, but retort's own ($2).
constexpr const char kSchemaTablesSql[] = R"sql(
SELECT c.oid FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY ($1::text[]) AND c.relkind IN ('r', 'p')
  AND c.oid <> ALL ($2::oid[])
)sql";

// The facts are one query, "WITH wanted AS (<one of the two above>)" and
// the four parts below joined by UNION ALL: one statement and one executor
// start-up per step instead of four, and `wanted` (referenced by each part,
// so computed once) resolved once. Every part has the same columns: its
// kind ('t' table, 'p' policy, 'i' index, 'f' foreign key), the table's
// OID, then ten values as text (booleans as 'true'/'false', arrays in
// their text form), NULL where a part has fewer.
// $3 the app role, $4 the tenant column.
constexpr const char kTableFactsSql[] = R"sql(
, app AS (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $3)
SELECT 't', c.oid, n.nspname::text, c.relname::text, pg_catalog.pg_get_userbyid(c.relowner)::text,
       (c.relkind = 'p')::text, c.relrowsecurity::text, c.relforcerowsecurity::text,
       (a.attname IS NOT NULL)::text,
       COALESCE(pg_catalog.format_type(a.atttypid, a.atttypmod), ''),
       COALESCE(a.attnotnull, false)::text,
       ARRAY(SELECT x.p FROM app,
                    unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'])
                      WITH ORDINALITY AS x(p, o)
             WHERE pg_catalog.has_table_privilege(app.oid, c.oid, x.p)
             ORDER BY x.o)::text
FROM wanted w
JOIN pg_catalog.pg_class c ON c.oid = w.oid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = $4
                                    AND a.attnum > 0 AND NOT a.attisdropped
)sql";

constexpr const char kPolicyFactsSql[] = R"sql(
SELECT 'p', p.polrelid, p.polname::text, p.polcmd::text, p.polpermissive::text,
       ARRAY(SELECT CASE WHEN x = 0 THEN 'public'
                    ELSE pg_catalog.pg_get_userbyid(x)::text END
             FROM unnest(p.polroles) x)::text,
       COALESCE(pg_catalog.pg_get_expr(p.polqual, p.polrelid), ''),
       COALESCE(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), ''),
       NULL, NULL, NULL, NULL
FROM pg_catalog.pg_policy p
WHERE p.polrelid = ANY (ARRAY(SELECT oid FROM wanted))
)sql";

constexpr const char kIndexFactsSql[] = R"sql(
SELECT 'i', i.indrelid, ic.relname::text, i.indisunique::text, i.indisprimary::text,
       i.indisvalid::text, am.amname::text,
       COALESCE(pg_catalog.pg_get_expr(i.indpred, i.indrelid), ''),
       ARRAY(SELECT COALESCE(a.attname::text, '')
             FROM generate_series(0, i.indnkeyatts - 1) k
             LEFT JOIN pg_catalog.pg_attribute a
               ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k]
              AND i.indkey[k] <> 0
             ORDER BY k)::text,
       NULL, NULL, NULL
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE i.indrelid = ANY (ARRAY(SELECT oid FROM wanted))
)sql";

// A foreign key that references a partitioned table also appears once per
// referenced partition, as a child constraint on the same table: those
// copies are left out. A partition's copy of its parent's key is its own.
constexpr const char kForeignKeyFactsSql[] = R"sql(
SELECT 'f', con.conrelid, con.conname::text, rn.nspname::text, rc.relname::text,
       con.confdeltype::text, con.convalidated::text,
       ARRAY(SELECT a.attname::text
             FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_catalog.pg_attribute a
               ON a.attrelid = con.conrelid AND a.attnum = k.num
             ORDER BY k.ord)::text,
       ARRAY(SELECT a.attname::text
             FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_catalog.pg_attribute a
               ON a.attrelid = con.confrelid AND a.attnum = k.num
             ORDER BY k.ord)::text,
       NULL, NULL, NULL
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype = 'f' AND con.conrelid = ANY (ARRAY(SELECT oid FROM wanted))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint pc
                  WHERE pc.oid = con.conparentid AND pc.conrelid = con.conrelid)
)sql";

constexpr const char kRoleFactsSql[] = R"sql(
WITH RECURSIVE r AS (
  SELECT oid, rolsuper, rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = $1
), m(roleid) AS (
  SELECT am.roleid FROM pg_catalog.pg_auth_members am JOIN r ON am.member = r.oid
  UNION
  SELECT am.roleid FROM pg_catalog.pg_auth_members am JOIN m ON am.member = m.roleid
)
SELECT r.rolsuper, r.rolbypassrls,
       ARRAY(SELECT pg_catalog.pg_get_userbyid(m.roleid)::text FROM m)
FROM r
)sql";

constexpr const char kResolveSql[] = R"sql(
SELECT n.nspname, c.relname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = CASE
  WHEN $1::text = '' THEN pg_catalog.to_regclass(pg_catalog.quote_ident($2))::oid
  ELSE (SELECT c2.oid FROM pg_catalog.pg_class c2
        JOIN pg_catalog.pg_namespace n2 ON n2.oid = c2.relnamespace
        WHERE n2.nspname = $1 AND c2.relname = $2) END
)sql";

std::string PolicyCommand(const std::string& polcmd) {
  if (polcmd == "r") return "SELECT";
  if (polcmd == "a") return "INSERT";
  if (polcmd == "w") return "UPDATE";
  if (polcmd == "d") return "DELETE";
  return "ALL";
}

std::string ForeignKeyAction(const std::string& code) {
  if (code == "c") return "CASCADE";
  if (code == "r") return "RESTRICT";
  if (code == "n") return "SET NULL";
  if (code == "d") return "SET DEFAULT";
  return "NO ACTION";
}

}  // namespace

std::vector<TableFacts> PgDatabase::ReadTableFacts(
    const std::vector<std::string>& schemas,
    const std::vector<std::string>& tables, const std::string& tenant_column,
    const std::string& app_role) {
  return ReadFacts(schemas, tables, tenant_column, app_role, false).tables;
}

RoleFacts PgDatabase::ReadRoleFacts(const std::string& role) {
  Rows r = Query(kRoleFactsSql, {role});
  return RoleFactsOf(role, r);
}

GateFacts PgDatabase::ReadGateFacts(const std::vector<std::string>& schemas,
                                    const std::vector<std::string>& tables,
                                    const std::string& tenant_column,
                                    const std::string& app_role) {
  return ReadFacts(schemas, tables, tenant_column, app_role, true);
}

RoleFacts PgDatabase::RoleFactsOf(const std::string& role, const Rows& r) {
  RoleFacts facts;
  facts.name = role;
  if (r.empty()) return facts;
  facts.exists = true;
  facts.superuser = r.Bool(0, 0);
  facts.bypassrls = r.Bool(0, 1);
  facts.member_of = r.Array(0, 2);
  std::sort(facts.member_of.begin(), facts.member_of.end());
  return facts;
}

std::vector<pg_detail::PipelineStatement> PgDatabase::FactsQueries(const FactsRequest& request) {
  std::string wanted = "WITH wanted AS (";
  std::vector<std::string> params;
  if (request.tables.empty()) {
    wanted += kSchemaTablesSql;
    params = {ArrayLiteral(request.schemas), OwnTableOids()};
  } else {
    std::vector<std::string> nsps, rels;
    for (const std::string& t : request.tables) {
      auto parts = pg_detail::SplitQualified(t);
      nsps.push_back(parts.first);
      rels.push_back(parts.second);
    }
    wanted += kNamedTablesSql;
    params = {ArrayLiteral(nsps), ArrayLiteral(rels)};
  }
  wanted += ")";
  params.push_back(request.app_role);
  params.push_back(request.tenant_column);
  // Prepared statements: planning these catalog joins costs more than
  // running them, and a generic plan survives the step's DDL.
  const std::string variant = request.tables.empty() ? "all" : "named";
  std::vector<pg_detail::PipelineStatement> queries = {
      {wanted + kTableFactsSql + "UNION ALL" + kPolicyFactsSql + "UNION ALL" + kIndexFactsSql + "UNION ALL" +
           kForeignKeyFactsSql,
       params, "retort_facts_" + variant, false}};
  if (request.with_role) queries.push_back({kRoleFactsSql, {request.app_role}, "retort_facts_role", false});
  // Inside a step an error (a statement a script DEALLOCATEd) must not
  // abort the step: the reads go under a savepoint.
  if (in_step_) {
    queries.insert(queries.begin(), {"SAVEPOINT retort_facts", {}, "", false});
    queries.push_back({"RELEASE SAVEPOINT retort_facts", {}, "", false});
  }
  return queries;
}

GateFacts PgDatabase::ReadFacts(const std::vector<std::string>& schemas,
                                const std::vector<std::string>& tables,
                                const std::string& tenant_column,
                                const std::string& app_role, bool with_role) {
  const FactsRequest request{schemas, tables, tenant_column, app_role, with_role};
  if (facts_read_ && facts_read_->first == request) {
    GateFacts facts = std::move(facts_read_->second);
    facts_read_.reset();
    return facts;
  }
  const std::vector<pg_detail::PipelineStatement> batch = FactsQueries(request);
  for (int attempt = 0;; ++attempt) {
    std::vector<pg_detail::PipelineOutcome> outcomes = RunPipeline(batch);
    const pg_detail::PipelineOutcome* failed = nullptr;
    for (const pg_detail::PipelineOutcome& o : outcomes) {
      if (o.error) {
        failed = &o;
        break;
      }
    }
    if (failed == nullptr) return FactsOf(request, outcomes);
    StatementError error = *failed->error;
    if (in_step_) AbandonFactsRead();
    // RunPipeline forgot a vanished prepared statement: prepare it again.
    if (error.sqlstate() != "26000" || attempt > 0) throw error;
  }
}

void PgDatabase::AbandonFactsRead() { Raw("ROLLBACK TO SAVEPOINT retort_facts; RELEASE SAVEPOINT retort_facts"); }

void PgDatabase::PrefetchGateFacts(const std::vector<std::string>& schemas, const std::vector<std::string>& tables,
                                   const std::string& tenant_column, const std::string& app_role) {
  RequireStep("PrefetchGateFacts");
  facts_wanted_ = FactsRequest{schemas, tables, tenant_column, app_role, true};
}

GateFacts PgDatabase::FactsOf(const FactsRequest& request, std::vector<pg_detail::PipelineOutcome>& outcomes) {
  // FactsQueries' outcomes, every one successful: the queries, between a
  // SAVEPOINT and a RELEASE when there are more outcomes than queries.
  const size_t queries = request.with_role ? 2 : 1;
  const size_t offset = outcomes.size() > queries ? 1 : 0;
  std::vector<Rows> results;
  for (size_t i = offset; i < offset + queries; ++i) results.push_back(std::move(*outcomes.at(i).rows));
  const bool with_role = request.with_role;
  const std::string& app_role = request.app_role;
  GateFacts facts;
  if (with_role) facts.role = RoleFactsOf(app_role, results.at(1));
  std::vector<TableFacts>& out = facts.tables;
  std::unordered_map<std::string, size_t> index_of;
  const Rows& r = results.at(0);
  // The tables first (the UNION's order is not promised), then what hangs
  // off them; a part's values start at column 2.
  for (int i = 0; i < r.size(); ++i) {
    if (r.Text(i, 0) != "t") continue;
    TableFacts t;
    index_of[r.Text(i, 1)] = out.size();
    t.schema = r.Text(i, 2);
    t.name = r.Text(i, 3);
    t.owner = r.Text(i, 4);
    t.partitioned = r.Bool(i, 5);
    t.rls_enabled = r.Bool(i, 6);
    t.rls_forced = r.Bool(i, 7);
    t.has_tenant_column = r.Bool(i, 8);
    t.tenant_column_type = r.Text(i, 9);
    t.tenant_column_not_null = r.Bool(i, 10);
    t.app_role_privileges = r.Array(i, 11);
    out.push_back(std::move(t));
  }
  if (out.empty()) return facts;
  auto at = [&](const std::string& oid) -> TableFacts& {
    auto it = index_of.find(oid);
    if (it == index_of.end()) {
      throw std::logic_error("catalog row for an unrequested table " + oid);
    }
    return out[it->second];
  };
  for (int i = 0; i < r.size(); ++i) {
    const std::string kind = r.Text(i, 0);
    if (kind == "p") {
      PolicyFacts p;
      p.name = r.Text(i, 2);
      p.command = PolicyCommand(r.Text(i, 3));
      p.permissive = r.Bool(i, 4);
      p.roles = r.Array(i, 5);
      std::sort(p.roles.begin(), p.roles.end());
      p.using_expr = r.Text(i, 6);
      p.check_expr = r.Text(i, 7);
      at(r.Text(i, 1)).policies.push_back(std::move(p));
    } else if (kind == "i") {
      IndexFacts x;
      x.name = r.Text(i, 2);
      x.unique = r.Bool(i, 3);
      x.primary = r.Bool(i, 4);
      x.valid = r.Bool(i, 5);
      x.method = r.Text(i, 6);
      x.predicate = r.Text(i, 7);
      x.columns = r.Array(i, 8);
      at(r.Text(i, 1)).indexes.push_back(std::move(x));
    } else if (kind == "f") {
      ForeignKeyFacts f;
      f.name = r.Text(i, 2);
      f.ref_schema = r.Text(i, 3);
      f.ref_table = r.Text(i, 4);
      f.on_delete = ForeignKeyAction(r.Text(i, 5));
      f.validated = r.Bool(i, 6);
      f.columns = r.Array(i, 7);
      f.ref_columns = r.Array(i, 8);
      at(r.Text(i, 1)).foreign_keys.push_back(std::move(f));
    }
  }
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  for (TableFacts& t : out) {
    std::sort(t.policies.begin(), t.policies.end(), by_name);
    std::sort(t.indexes.begin(), t.indexes.end(), by_name);
    std::sort(t.foreign_keys.begin(), t.foreign_keys.end(), by_name);
  }
  std::sort(out.begin(), out.end(), [](const TableFacts& a, const TableFacts& b) {
    return a.schema != b.schema ? a.schema < b.schema : a.name < b.name;
  });
  return facts;
}

std::string PgDatabase::ResolveTable(const std::string& name) {
  const auto parts = pg_detail::SplitQualified(name);
  if (parts.second.empty()) return "";
  Rows r = Query(kResolveSql, {parts.first, parts.second});
  if (r.empty()) return "";
  return r.Text(0, 0) + "." + r.Text(0, 1);
}

}  // namespace retort
