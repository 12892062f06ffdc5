#include "support/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "retort/config/config.h"
#include "retort/pg/connection_url.h"
#include "retort/db/ephemeral_cluster.h"
#include "retort/pg/pg_database.h"

namespace retort {
namespace testing {

const std::string& TestServerConninfo() {
  static std::once_flag once;
  static std::string conninfo;
  // Destroyed at exit, which stops the server and removes its directory.
  static std::unique_ptr<EphemeralCluster> cluster;
  std::call_once(once, [] {
    const char* url = std::getenv("RETORT_TEST_DATABASE_URL");
    if (url != nullptr && *url != '\0') {
      conninfo = ToLibpqConninfo(url);
    } else {
      cluster = std::make_unique<EphemeralCluster>();
      conninfo = cluster->Conninfo();
    }
  });
  return conninfo;
}

ScratchDatabase::ScratchDatabase() {
  static std::atomic<int> counter{0};
  name_ = "retort_t_" + std::to_string(getpid()) + "_" +
          std::to_string(++counter);
  PgDatabase admin(TestServerConninfo(), Config{});
  admin.ExecStatementAutocommit("CREATE DATABASE \"" + name_ + "\"");
  // A later keyword wins in a libpq conninfo string.
  conninfo_ = TestServerConninfo() + " dbname=" + name_;
}

ScratchDatabase::~ScratchDatabase() {
  try {
    PgDatabase admin(TestServerConninfo(), Config{});
    admin.ExecStatementAutocommit("DROP DATABASE IF EXISTS \"" + name_ +
                                  "\" WITH (FORCE)");
  } catch (...) {
    // A leftover scratch database must not fail the test run.
  }
}

TestRole::TestRole(const std::string& stem, const std::string& attributes)
    : name_(stem + "_" + std::to_string(getpid())) {
  PgDatabase admin(TestServerConninfo(), Config{});
  admin.ExecStatementAutocommit("DROP ROLE IF EXISTS \"" + name_ + "\"");
  admin.ExecStatementAutocommit("CREATE ROLE \"" + name_ + "\" " + attributes);
}

TestRole::~TestRole() {
  try {
    PgDatabase admin(TestServerConninfo(), Config{});
    admin.ExecStatementAutocommit("DROP ROLE IF EXISTS \"" + name_ + "\"");
  } catch (...) {
    // A leftover role must not fail the test run.
  }
}

}  // namespace testing
}  // namespace retort
