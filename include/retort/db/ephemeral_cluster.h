#pragma once
#include <sys/types.h>

#include <string>

namespace retort {

/// How to set up an EphemeralCluster.
struct EphemeralClusterOptions {
  /// Directory holding initdb, pg_ctl and postgres. Empty: `pg_config
  /// --bindir` if it has initdb, else the directory of `initdb` on PATH,
  /// else the highest /usr/lib/postgresql/<N>/bin.
  std::string bin_dir;
  /// When not empty, TCP ("host") connections need this password for the
  /// superuser `postgres` (scram-sha-256); the unix socket stays trust.
  /// Empty: trust everywhere.
  std::string superuser_password;
};

/// A throwaway PostgreSQL cluster started from the local binaries: a fresh
/// directory under $TMPDIR (or /tmp), initdb (UTF8, C locale, no sync),
/// a postmaster on 127.0.0.1 at a free port plus a unix socket in that
/// directory, fsync off. The constructor starts it; Stop() or the
/// destructor shuts it down and removes the directory, and so does
/// SIGINT/SIGTERM/SIGHUP delivered to the process (the signal is then
/// re-raised with its previous disposition).
/// When the process runs as root, initdb/pg_ctl run as `postgres` (else
/// `nobody`), since PostgreSQL refuses to run as root.
/// Not copyable or movable: the signal handler refers to it.
class EphemeralCluster {
 public:
  /// Starts the cluster. Throws Error(kUnreachable) when no PostgreSQL
  /// binaries are found or initdb / the server fails (with its log's tail).
  explicit EphemeralCluster(EphemeralClusterOptions options = {});
  ~EphemeralCluster();
  EphemeralCluster(const EphemeralCluster&) = delete;
  EphemeralCluster& operator=(const EphemeralCluster&) = delete;

  /// TCP conninfo for the superuser: "host=127.0.0.1 port=N user=postgres
  /// dbname=postgres" (+ " password=..." when one was set).
  std::string Conninfo() const;
  /// Unix-socket conninfo (trust even when a password was set).
  std::string SocketConninfo() const;

  /// Fast shutdown (pg_ctl -m fast), then removes the directory. Idempotent;
  /// never throws. Does nothing in a forked child of the starting process.
  void Stop();

  int port() const { return port_; }
  /// The temporary directory (data/ and the socket live inside); still
  /// reported after Stop(), which removed it.
  const std::string& dir() const { return dir_; }
  const std::string& bin_dir() const { return bin_dir_; }
  /// The postmaster's pid (0 once stopped).
  pid_t postmaster_pid() const { return postmaster_pid_; }
  bool running() const { return postmaster_pid_ != 0; }

 private:
  void Start();
  void Cleanup();

  EphemeralClusterOptions options_;
  std::string bin_dir_;
  std::string dir_;
  int port_ = 0;
  pid_t postmaster_pid_ = 0;
  pid_t owner_pid_ = 0;  ///< the process that started it
  int registry_slot_ = -1;
  uid_t run_uid_ = 0;
  gid_t run_gid_ = 0;
  bool drop_privileges_ = false;
  bool cleaned_ = false;
};

/// Where EphemeralCluster would take its binaries from; "" if none found.
std::string FindPostgresBinDir();

}  // namespace retort
