#pragma once
#include <optional>
#include <string>
#include <vector>

namespace retort {

/// A reviewed exception to a catalog gate (SPEC §3 "waivers").
struct Waiver {
  std::string rule;
  std::string table;   ///< empty: every table
  std::string reason;
  int line = 0;        ///< where it was declared in retort.yaml (1-based)
};

/// SPEC §3 "tenancy".
struct TenancyConfig {
  std::string tenants_table = "tenants";
  std::string tenant_column = "tenant_id";
  std::string context_setting = "app.current_tenant_id";
  std::string app_role = "app_user";
  std::vector<std::string> schemas = {"public"};
  std::vector<std::string> global_tables = {"tenants"};
  std::string tenant_fixture;
};

/// The project configuration (retort.yaml), after ${VAR} expansion.
/// Durations are in milliseconds; 0 means "no limit".
struct Config {
  std::string config_path;       ///< absolute path of retort.yaml ("" if none)
  std::string script_location;   ///< absolute directory holding retort.yaml
  /// As written, ${VAR} not expanded (see ExpandDatabaseUrl).
  std::optional<std::string> database_url;
  int database_url_line = 0;     ///< where database_url's value is (1-based), 0 if absent
  int database_url_column = 0;
  std::vector<std::string> version_locations = {"versions"};  ///< relative to script_location
  std::string version_table = "alembic_version";
  std::optional<std::string> version_table_schema;
  std::optional<std::string> history_table = std::string("retort_history");
  long lock_wait_ms = 60000;
  long lock_timeout_ms = 5000;
  long statement_timeout_ms = 0;
  TenancyConfig tenancy;
  std::vector<Waiver> waivers;
};

}  // namespace retort
