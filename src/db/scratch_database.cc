#include "retort/db/scratch_database.h"

#include <unistd.h>

#include <pqxx/pqxx>

#include "retort/common/error.h"
#include "retort/common/random_id.h"
#include "retort/db/connection_url.h"

namespace retort {
namespace {

void RunAdmin(const std::string& conninfo, const std::string& sql, const std::string& what) {
  try {
    pqxx::connection conn(conninfo);
    pqxx::nontransaction tx(conn);
    tx.exec0(sql);
  } catch (const std::exception& e) {
    throw Error(ExitCode::kUnreachable,
                "cannot " + what + " on " + DescribeTarget(conninfo) + ": " +
                    MaskPassword(e.what(), PasswordOf(conninfo)));
  }
}

}  // namespace

ScratchDatabase::ScratchDatabase(const std::string& server_url, const std::string& prefix)
    : admin_url_(ToLibpqConninfo(server_url) + " application_name=retort"),
      name_(prefix + "_" + std::to_string(getpid()) + "_" + NewRevisionId()) {
  url_ = admin_url_ + " dbname=" + name_;
  RunAdmin(admin_url_, "CREATE DATABASE \"" + name_ + "\"", "create scratch database " + name_);
}

ScratchDatabase::~ScratchDatabase() {
  try {
    RunAdmin(admin_url_, "DROP DATABASE IF EXISTS \"" + name_ + "\" WITH (FORCE)",
             "drop scratch database " + name_);
  } catch (...) {
    // Dropping is best effort: the run's result matters more than cleanup.
  }
}

}  // namespace retort
