#pragma once
#include <string>

namespace retort {
namespace testing {

/// Conninfo of a server the DB tests may create databases on:
/// RETORT_TEST_DATABASE_URL when set, else ONE throwaway cluster
/// (EphemeralCluster) started on first use and stopped at process exit, so
/// database tests never skip. Started lazily: gtest's test discovery runs
/// the binary without needing a server.
const std::string& TestServerConninfo();

/// A database of its own for one test: CREATE DATABASE
/// retort_t_<pid>_<counter> on the test server, dropped (WITH FORCE) by the
/// destructor.
class ScratchDatabase {
 public:
  ScratchDatabase();
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  /// Keyword conninfo of the server with dbname set to this database.
  const std::string& conninfo() const { return conninfo_; }

 private:
  std::string name_;
  std::string conninfo_;
};

/// A cluster-wide role for one test ("<stem>_<pid>", created with
/// `attributes` such as "NOBYPASSRLS LOGIN"), dropped by the destructor.
/// Roles outlive databases: declare it before the ScratchDatabase objects
/// whose tables it has privileges on, so that they are dropped first.
class TestRole {
 public:
  explicit TestRole(const std::string& stem, const std::string& attributes = "");
  ~TestRole();
  TestRole(const TestRole&) = delete;
  TestRole& operator=(const TestRole&) = delete;

  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

}  // namespace testing
}  // namespace retort
