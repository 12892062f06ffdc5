#include "retort/pg/disposable_database.h"

#include <unistd.h>

#include <memory>

#include "retort/common/error.h"
#include "retort/common/random_id.h"
#include "retort/config/config.h"
#include "retort/pg/connection_url.h"
#include "retort/pg/pg_database.h"

namespace retort {
namespace {

/// Runs one statement on the server's default database. Any failure makes
/// the server unusable for verify: Error(kUnreachable) saying what failed.
void RunOnServer(const std::string& conninfo, const std::string& sql,
                 const std::string& what) {
  std::unique_ptr<PgDatabase> server;
  try {
    server = std::make_unique<PgDatabase>(conninfo, Config{});
  } catch (const Error& e) {
    throw Error(ExitCode::kUnreachable, "cannot " + what + ": " + e.what());
  }
  try {
    server->ExecStatementAutocommit(sql);
  } catch (const StatementError& e) {
    throw Error(ExitCode::kUnreachable, "cannot " + what + " on " +
                                            server->Describe() + ": " +
                                            e.what());
  }
}

}  // namespace

DisposableDatabase::DisposableDatabase(const std::string& server_url,
                                       const std::string& prefix)
    : server_conninfo_(ToLibpqConninfo(server_url)),
      name_(prefix + "_" + std::to_string(getpid()) + "_" + NewRevisionId()) {
  // A later keyword wins in a libpq conninfo string.
  url_ = server_conninfo_ + " dbname=" + name_;
  RunOnServer(server_conninfo_, "CREATE DATABASE \"" + name_ + "\"",
              "create scratch database " + name_);
}

DisposableDatabase::~DisposableDatabase() {
  try {
    RunOnServer(server_conninfo_,
                "DROP DATABASE IF EXISTS \"" + name_ + "\" WITH (FORCE)",
                "drop scratch database " + name_);
  } catch (...) {
    // Dropping is best effort: the run's result matters more than cleanup.
  }
}

}  // namespace retort
