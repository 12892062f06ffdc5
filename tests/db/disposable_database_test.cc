// DisposableDatabase (verify's scratch database) against a real server.
#include "retort/pg/disposable_database.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "retort/pg/pg_database.h"
#include "support/test_database.h"

namespace retort {
namespace {

using testing::TestRole;
using testing::TestServerConninfo;

bool DatabaseExists(const std::string& name) {
  pqxx::connection c(TestServerConninfo());
  pqxx::nontransaction tx(c);
  return tx.exec_params1(
               "SELECT count(*) FROM pg_catalog.pg_database WHERE datname = $1",
               name)[0]
             .as<int>() == 1;
}

TEST(DisposableDatabaseTest, CreatesItsOwnDatabaseAndDropsIt) {
  std::string name;
  {
    DisposableDatabase scratch(TestServerConninfo(), "retort_disp");
    name = scratch.name();
    EXPECT_EQ(0u, name.find("retort_disp_" + std::to_string(getpid()) + "_"));
    EXPECT_TRUE(DatabaseExists(name));
    // A session still open on it does not keep it alive.
    PgDatabase db(scratch.url(), Config{});
    db.ExecScript("CREATE TABLE t (a int)");
    EXPECT_EQ(0, db.CountRows("t"));
  }
  EXPECT_FALSE(DatabaseExists(name));
}

TEST(DisposableDatabaseTest, AnUnreachableServerIsExit5) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // nothing listens there now
  try {
    DisposableDatabase scratch(
        "postgresql://u:Secret-55@127.0.0.1:" +
            std::to_string(ntohs(addr.sin_port)) + "/postgres",
        "retort_disp");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kUnreachable, e.code());
    const std::string msg = e.what();
    EXPECT_EQ(0u, msg.find("cannot create scratch database retort_disp_"))
        << msg;
    EXPECT_NE(std::string::npos, msg.find("Connection refused")) << msg;
    EXPECT_EQ(std::string::npos, msg.find("Secret-55")) << msg;
  }
}

TEST(DisposableDatabaseTest, ARefusedCreateIsExit5) {
  // A role without CREATEDB: the server refuses CREATE DATABASE.
  TestRole role("retort_disp_nocreate", "LOGIN NOCREATEDB");
  const std::string url = TestServerConninfo() + " user=" + role.name();
  try {
    PgDatabase probe(url, Config{});
  } catch (const Error& e) {
    GTEST_SKIP() << "the test server does not let a new role in: " << e.what();
  }
  try {
    DisposableDatabase scratch(url, "retort_disp");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kUnreachable, e.code());
    const std::string msg = e.what();
    EXPECT_EQ(0u, msg.find("cannot create scratch database retort_disp_"))
        << msg;
    EXPECT_NE(std::string::npos, msg.find(" on " + role.name() + "@"))
        << msg;
    EXPECT_NE(std::string::npos,
              msg.find("permission denied to create database"))
        << msg;
  }
}

}  // namespace
}  // namespace retort
