// A server that accepts the TCP connection and never answers: PgDatabase
// gives up after connect_timeout (10 s unless the URL or PGCONNECT_TIMEOUT
// says otherwise) with Error(kUnreachable), instead of libpq's wait forever.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "retort/pg/pg_database.h"

namespace retort {
namespace {

/// Listens on 127.0.0.1 and never accepts: the kernel completes the
/// handshake, so libpq waits for a startup reply that never comes.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(fd_, 8) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen";
    }
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

/// Seconds PgDatabase took to give up on `url`; checks the error.
double SecondsToFail(const std::string& url) {
  const auto start = std::chrono::steady_clock::now();
  try {
    PgDatabase db(url, Config{});
    ADD_FAILURE() << "connected to a silent server";
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kUnreachable, e.code());
    EXPECT_NE(std::string::npos, std::string(e.what()).find("timeout expired"))
        << e.what();
    EXPECT_EQ(std::string::npos, std::string(e.what()).find("Pw-777"))
        << e.what();
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
      .count();
}

TEST(ConnectTimeoutTest, SilentServerFailsAfterTheDefaultTimeout) {
  ASSERT_EQ(nullptr, std::getenv("PGCONNECT_TIMEOUT"));
  SilentServer server;
  const double s = SecondsToFail("postgresql://app:Pw-777@127.0.0.1:" +
                                 std::to_string(server.port()) + "/appdb");
  EXPECT_GE(s, PgDatabase::kDefaultConnectTimeoutSeconds - 1.0);
  EXPECT_LT(s, PgDatabase::kDefaultConnectTimeoutSeconds + 5.0);
}

TEST(ConnectTimeoutTest, TheUrlsTimeoutWins) {
  SilentServer server;
  const double s =
      SecondsToFail("postgresql+psycopg2://app:Pw-777@127.0.0.1:" +
                    std::to_string(server.port()) + "/appdb?connect_timeout=2");
  EXPECT_GE(s, 1.5);
  EXPECT_LT(s, 6.0);
}

TEST(ConnectTimeoutTest, PgconnectTimeoutWins) {
  SilentServer server;
  setenv("PGCONNECT_TIMEOUT", "2", 1);
  const double s = SecondsToFail("host=127.0.0.1 port=" +
                                 std::to_string(server.port()) +
                                 " user=app password=Pw-777 dbname=appdb");
  unsetenv("PGCONNECT_TIMEOUT");
  EXPECT_GE(s, 1.5);
  EXPECT_LT(s, 6.0);
}

}  // namespace
}  // namespace retort
