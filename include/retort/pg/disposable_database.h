#pragma once
#include <string>

#include "retort/db/temporary_database.h"

namespace retort {

/// A database that retort creates for `verify` on the server `server_url`
/// points at, and drops (WITH (FORCE)) when destroyed: verify only ever
/// works on a database it made itself.
class DisposableDatabase final : public TemporaryDatabase {
 public:
  /// Creates "<prefix>_<pid>_<random>". Throws Error(kUnreachable) when the
  /// server cannot be reached or refuses CREATE DATABASE.
  DisposableDatabase(const std::string& server_url, const std::string& prefix);
  ~DisposableDatabase() override;
  DisposableDatabase(const DisposableDatabase&) = delete;
  DisposableDatabase& operator=(const DisposableDatabase&) = delete;

  const std::string& name() const override { return name_; }
  /// Conninfo of the new database (the server URL with dbname replaced).
  const std::string& url() const override { return url_; }

 private:
  std::string server_conninfo_;
  std::string name_;
  std::string url_;
};

}  // namespace retort
