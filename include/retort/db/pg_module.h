#pragma once
// The seam between the retort binary and libretort-pg.so, the module that
// holds everything linking libpq/libpqxx (src/pg). libpq pulls in about 25
// shared libraries (Kerberos, LDAP, GnuTLS, SASL...); loading and relocating
// them was a fifth of the start-up of commands that never connect, so the
// binary only dlopen()s the module when a command needs a database.
#include <memory>
#include <string>

#include "retort/config/config.h"
#include "retort/db/database.h"
#include "retort/db/temporary_database.h"

namespace retort {

/// The module's entry points. Both sides are built from the same sources in
/// one build, so C++ types (std::string, Config, unique_ptr, exceptions
/// derived from retort::Error) cross the boundary as they are.
struct PgModule {
  /// kVersion of the module's build; the loader refuses any other.
  const char* version;
  /// A PgDatabase on `url`; throws as the PgDatabase constructor does.
  std::unique_ptr<Database> (*connect)(const std::string& url, const Config& config);
  /// A DisposableDatabase on the server `server_url` names.
  std::unique_ptr<TemporaryDatabase> (*create_disposable)(const std::string& server_url,
                                                          const std::string& prefix);
  /// LibpqVersion(): "15.18".
  std::string (*libpq_version)();
};

/// The module's one exported symbol (extern "C" const PgModule*
/// retort_pg_module()).
inline constexpr char kPgModuleEntry[] = "retort_pg_module";

/// Loads the module on the first call and returns its entry points. Looks
/// for it at $RETORT_PG_MODULE when set, else in the install layout relative
/// to the binary (<bindir>/../lib/retort/), else next to the binary (the
/// build tree). Throws Error(kUnreachable) naming the path(s) and the
/// reason when it cannot be loaded or comes from another version.
const PgModule& LoadPgModule();

}  // namespace retort
