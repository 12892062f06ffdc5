#include "retort/db/ephemeral_cluster.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "retort/common/error.h"
#include "retort/config/config.h"
#include "retort/pg/pg_database.h"

namespace retort {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

/// Is a process with this pid still running (a zombie does not count: it
/// has exited and only waits for its parent to reap it)?
bool Running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() &&
         line[paren + 2] != 'Z';
}

TEST(EphemeralClusterTest, StartsAcceptsConnectionsAndStopRemovesIt) {
  EphemeralCluster cluster;
  const std::string dir = cluster.dir();
  ASSERT_TRUE(Exists(dir + "/data/PG_VERSION"));
  EXPECT_LE(dir.size() + std::strlen("/.s.PGSQL.65535"), 107u);
  EXPECT_GT(cluster.port(), 0);
  EXPECT_TRUE(Running(cluster.postmaster_pid()));
  {
    PgDatabase tcp(cluster.Conninfo(), Config{});
    EXPECT_EQ("postgres", tcp.CurrentUser());
    EXPECT_FALSE(tcp.ServerVersion().empty());
    PgDatabase socket(cluster.SocketConninfo(), Config{});
    EXPECT_EQ("postgres", socket.CurrentUser());
  }
  const pid_t pid = cluster.postmaster_pid();
  cluster.Stop();
  EXPECT_FALSE(Exists(dir));
  EXPECT_FALSE(Running(pid));
  EXPECT_FALSE(cluster.running());
  cluster.Stop();  // idempotent
}

TEST(EphemeralClusterTest, PasswordForTcpTrustOnSocket) {
  EphemeralClusterOptions options;
  options.superuser_password = "Tcp-Only-9f3a";
  EphemeralCluster cluster(options);
  EXPECT_NE(std::string::npos,
            cluster.Conninfo().find("password='Tcp-Only-9f3a'"));
  PgDatabase with_password(cluster.Conninfo(), Config{});
  EXPECT_EQ("postgres", with_password.CurrentUser());
  PgDatabase socket(cluster.SocketConninfo(), Config{});
  EXPECT_EQ("postgres", socket.CurrentUser());
  const std::string no_password = "host=127.0.0.1 port=" +
                                  std::to_string(cluster.port()) +
                                  " user=postgres dbname=postgres";
  EXPECT_THROW(PgDatabase(no_password, Config{}), Error);
}

TEST(EphemeralClusterTest, MissingBinariesIsAClearError) {
  EphemeralClusterOptions options;
  options.bin_dir = "/nonexistent/pg/bin";
  try {
    EphemeralCluster cluster(options);
    FAIL() << "started without binaries";
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kUnreachable, e.code());
    EXPECT_NE(std::string::npos,
              std::string(e.what()).find("no PostgreSQL server binaries"));
  }
}

TEST(EphemeralClusterTest, InitdbFailureShowsTheTailOfItsLog) {
  // Stand-in binaries: an initdb that fails the way a broken install would.
  char templ[] = "/tmp/retort-fakebin.XXXXXX";
  ASSERT_NE(nullptr, mkdtemp(templ));
  const std::string bin = templ;
  chmod(bin.c_str(), 0755);  // the server user must be able to run them
  for (const char* name : {"initdb", "pg_ctl"}) {
    const std::string path = bin + "/" + name;
    std::ofstream(path) << "#!/bin/sh\necho \"line one\"\n"
                           "echo \"initdb: error: simulated failure\" >&2\n"
                           "exit 1\n";
    chmod(path.c_str(), 0755);
  }
  EphemeralClusterOptions options;
  options.bin_dir = bin;
  std::string message;
  try {
    EphemeralCluster cluster(options);
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kUnreachable, e.code());
    message = e.what();
  }
  EXPECT_EQ(
      "initdb failed (exit 1):\nline one\ninitdb: error: simulated failure",
      message);
  std::remove((bin + "/initdb").c_str());
  std::remove((bin + "/pg_ctl").c_str());
  rmdir(bin.c_str());
}

TEST(EphemeralClusterTest, FindsBinaries) {
  const std::string bin = FindPostgresBinDir();
  ASSERT_FALSE(bin.empty());
  EXPECT_EQ(0, access((bin + "/initdb").c_str(), X_OK));
  EXPECT_EQ(0, access((bin + "/pg_ctl").c_str(), X_OK));
}

/// A child process starts a cluster, reports its directory and postmaster
/// pid through a pipe, then waits to be killed.
void ChildSignalTest(int sig) {
  int fds[2];
  ASSERT_EQ(0, pipe(fds));
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    try {
      EphemeralCluster cluster;
      std::string msg = cluster.dir() + "\n" +
                        std::to_string(cluster.postmaster_pid()) + "\n";
      if (write(fds[1], msg.data(), msg.size()) < 0) _exit(3);
      close(fds[1]);
      while (true) pause();
    } catch (...) {
      _exit(2);
    }
  }
  close(fds[1]);
  std::string got;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) got.append(buf, n);
  close(fds[0]);
  const size_t nl = got.find('\n');
  ASSERT_NE(std::string::npos, nl) << "child did not start a cluster";
  const std::string dir = got.substr(0, nl);
  const pid_t postmaster = std::stoi(got.substr(nl + 1));
  ASSERT_TRUE(Exists(dir));
  ASSERT_TRUE(Running(postmaster));

  ASSERT_EQ(0, kill(child, sig));
  int status = 0;
  ASSERT_EQ(child, waitpid(child, &status, 0));
  // The handler re-raised the signal with its default action.
  ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
  EXPECT_EQ(sig, WTERMSIG(status));
  EXPECT_FALSE(Exists(dir));
  EXPECT_FALSE(Running(postmaster));
}

TEST(EphemeralClusterTest, SigtermInChildLeavesNothingBehind) {
  ChildSignalTest(SIGTERM);
}

TEST(EphemeralClusterTest, SigintInChildLeavesNothingBehind) {
  ChildSignalTest(SIGINT);
}

}  // namespace
}  // namespace retort
