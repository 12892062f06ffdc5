#include "retort/db/ephemeral_cluster.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "retort/common/error.h"

// Cleanup on SIGINT/SIGTERM/SIGHUP, and why it looks the way it does.
//
// A handler may only call async-signal-safe functions, so it cannot run
// pg_ctl through our normal code (which allocates) nor walk the directory
// with opendir/readdir. Instead every live cluster owns a slot in a fixed
// table of plain char arrays, filled before the slot is marked active. The
// handler, for each active slot owned by this process:
//   1. reads the postmaster's pid from data/postmaster.pid (open/read),
//   2. sends it SIGQUIT (immediate shutdown: no checkpoint, which a
//      directory about to be deleted does not need),
//   3. polls with nanosleep until the pid is gone or postmaster.pid has
//      been removed (the postmaster unlinks it as it exits; polling the pid
//      alone could wait on a zombie nobody reaps),
//   4. fork + execve("/bin/rm", "-rf", dir) and waitpid for it,
// then restores the signal's previous disposition and re-raises it, so the
// process ends (or the application's own handler runs) as it would have.
// Reading the pid from the file also covers a signal that arrives while
// pg_ctl is still starting the server.

namespace retort {
namespace {

constexpr int kMaxClusters = 16;
constexpr size_t kPathMax = 256;
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr int kSignalCount = 3;

struct Slot {
  volatile sig_atomic_t active;
  pid_t owner;
  char dir[kPathMax];
  char pidfile[kPathMax + 32];
};

Slot g_slots[kMaxClusters];
struct sigaction g_previous[kSignalCount];
bool g_installed[kSignalCount];
std::atomic<bool> g_handlers_ready{false};

void SleepMs(long ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/// The pid in the first line of a postmaster.pid file; 0 if unreadable.
/// Async-signal-safe.
pid_t ReadPidFile(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[32];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return 0;
  pid_t pid = 0;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) {
    pid = pid * 10 + (buf[i] - '0');
  }
  return pid;
}

/// Waits (at most timeout_ms) until the postmaster has exited. Async-signal-
/// safe.
bool WaitForPostmasterExit(pid_t pid, const char* pidfile, long timeout_ms) {
  for (long waited = 0; waited <= timeout_ms; waited += 20) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return true;
    if (access(pidfile, F_OK) != 0) return true;
    SleepMs(20);
  }
  return false;
}

/// rm -rf dir through fork/execve. Async-signal-safe.
void RemoveTreeFromSignal(char* dir) {
  pid_t child = fork();
  if (child == 0) {
    char rm[] = "rm";
    char flags[] = "-rf";
    char dashes[] = "--";
    char* argv[] = {rm, flags, dashes, dir, nullptr};
    char* envp[] = {nullptr};
    execve("/bin/rm", argv, envp);
    execve("/usr/bin/rm", argv, envp);
    _exit(127);
  }
  if (child > 0) {
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void OnSignal(int sig) {
  const int saved_errno = errno;
  const pid_t self = getpid();
  for (Slot& slot : g_slots) {
    if (!slot.active || slot.owner != self) continue;
    slot.active = 0;
    pid_t pid = ReadPidFile(slot.pidfile);
    if (pid > 0 && kill(pid, SIGQUIT) == 0) {
      WaitForPostmasterExit(pid, slot.pidfile, 10000);
    }
    RemoveTreeFromSignal(slot.dir);
  }
  for (int i = 0; i < kSignalCount; ++i) {
    if (kSignals[i] == sig && g_installed[i]) {
      sigaction(sig, &g_previous[i], nullptr);
      g_installed[i] = false;
    }
  }
  errno = saved_errno;
  raise(sig);  // blocked until we return; then handled as before us
}

void InstallHandlersOnce() {
  if (g_handlers_ready.exchange(true)) return;
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  for (int sig : kSignals) sigaddset(&action.sa_mask, sig);
  for (int i = 0; i < kSignalCount; ++i) {
    struct sigaction previous;
    if (sigaction(kSignals[i], nullptr, &previous) != 0) continue;
    // A signal the process ignores (nohup) stays ignored.
    if (previous.sa_handler == SIG_IGN) continue;
    g_previous[i] = previous;
    g_installed[i] = sigaction(kSignals[i], &action, nullptr) == 0;
  }
}

int RegisterSlot(const std::string& dir) {
  for (int i = 0; i < kMaxClusters; ++i) {
    Slot& slot = g_slots[i];
    if (slot.active) continue;
    slot.owner = getpid();
    std::snprintf(slot.dir, sizeof(slot.dir), "%s", dir.c_str());
    std::snprintf(slot.pidfile, sizeof(slot.pidfile), "%s/data/postmaster.pid",
                  dir.c_str());
    std::atomic_signal_fence(std::memory_order_seq_cst);
    slot.active = 1;
    return i;
  }
  return -1;  // more clusters than slots: still works, just no signal cleanup
}

void UnregisterSlot(int index) {
  if (index >= 0 && index < kMaxClusters) g_slots[index].active = 0;
}

bool IsExecutable(const std::string& path) {
  return access(path.c_str(), X_OK) == 0;
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.pop_back();
  }
  return s;
}

std::string ReadTail(const std::string& path, int lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) all.push_back(line);
  std::string out;
  size_t first = all.size() > static_cast<size_t>(lines) ? all.size() - lines
                                                         : 0;
  for (size_t i = first; i < all.size(); ++i) {
    out += all[i];
    out += '\n';
  }
  return Trim(out);
}

std::string FileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct RunAs {
  bool drop = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

/// Runs argv with stdout+stderr appended to log_path and cwd "/", as the
/// unprivileged user when `as.drop`. Returns the exit status, or -1.
int Run(const std::vector<std::string>& argv, const std::string& log_path,
        const RunAs& as) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int log_fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) return -1;
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t child = fork();
  if (child == 0) {
    // Only async-signal-safe calls from here on: the parent may have threads.
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    // Descriptors of the parent (database sockets, pipes) must not leak into
    // a long-lived postmaster.
    if (close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 4096; ++fd) close(fd);
    }
    if (chdir("/") != 0) _exit(126);
    if (as.drop) {
      if (setgroups(0, nullptr) != 0 || setgid(as.gid) != 0 ||
          setuid(as.uid) != 0) {
        _exit(126);
      }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(log_fd);
  if (null_fd >= 0) close(null_fd);
  if (child < 0) return -1;
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -1;
}

int FreeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  struct sockaddr_in addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<struct sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

/// Can `uid` reach `dir` (every ancestor searchable)?
bool Traversable(const std::string& dir, uid_t uid, gid_t gid) {
  std::filesystem::path p = std::filesystem::absolute(dir);
  for (std::filesystem::path cur = p;; cur = cur.parent_path()) {
    struct stat st;
    if (stat(cur.c_str(), &st) != 0) return false;
    bool ok = (st.st_mode & S_IXOTH) || (st.st_uid == uid && (st.st_mode & S_IXUSR)) ||
              (st.st_gid == gid && (st.st_mode & S_IXGRP));
    if (!ok) return false;
    if (cur == cur.parent_path()) break;
  }
  return true;
}

std::string ShellQuote(const std::string& s) { return "'" + s + "'"; }

std::string QuoteConninfoValue(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string FindPostgresBinDir() {
  if (FILE* pipe = popen("pg_config --bindir 2>/dev/null", "r")) {
    char buf[1024];
    std::string out;
    while (std::fgets(buf, sizeof(buf), pipe) != nullptr) out += buf;
    pclose(pipe);
    out = Trim(out);
    if (!out.empty() && IsExecutable(out + "/initdb")) return out;
  }
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    std::string entry;
    while (std::getline(ss, entry, ':')) {
      if (entry.empty()) continue;
      std::string candidate = entry + "/initdb";
      if (!IsExecutable(candidate)) continue;
      // /usr/local/bin/initdb may be a lone symlink: use the real directory,
      // where pg_ctl and postgres live too.
      std::error_code ec;
      std::filesystem::path real =
          std::filesystem::canonical(candidate, ec).parent_path();
      if (!ec && IsExecutable(real.string() + "/pg_ctl")) return real.string();
      if (IsExecutable(entry + "/pg_ctl")) return entry;
    }
  }
  int best = -1;
  std::string best_dir;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = e.path().filename().string();
    char* end = nullptr;
    long major = std::strtol(name.c_str(), &end, 10);
    if (end == name.c_str() || *end != '\0') continue;
    std::string bin = e.path().string() + "/bin";
    if (major > best && IsExecutable(bin + "/initdb")) {
      best = static_cast<int>(major);
      best_dir = bin;
    }
  }
  return best_dir;
}

EphemeralCluster::EphemeralCluster(EphemeralClusterOptions options)
    : options_(std::move(options)) {
  owner_pid_ = getpid();
  try {
    Start();
  } catch (...) {
    Cleanup();
    throw;
  }
}

EphemeralCluster::~EphemeralCluster() { Stop(); }

void EphemeralCluster::Start() {
  bin_dir_ = options_.bin_dir.empty() ? FindPostgresBinDir() : options_.bin_dir;
  if (bin_dir_.empty() || !IsExecutable(bin_dir_ + "/initdb") ||
      !IsExecutable(bin_dir_ + "/pg_ctl")) {
    throw Error(ExitCode::kUnreachable,
                "no PostgreSQL server binaries found (looked for initdb via "
                "pg_config --bindir, PATH and /usr/lib/postgresql/*/bin)",
                "install the PostgreSQL server package (Debian: "
                "postgresql-15)");
  }

  RunAs as;
  if (geteuid() == 0) {
    // PostgreSQL refuses to run as root.
    const struct passwd* pw = getpwnam("postgres");
    if (pw == nullptr) pw = getpwnam("nobody");
    if (pw == nullptr) {
      throw Error(ExitCode::kUnreachable,
                  "running as root, and neither user 'postgres' nor 'nobody' "
                  "exists to run the temporary PostgreSQL server");
    }
    as.drop = true;
    as.uid = pw->pw_uid;
    as.gid = pw->pw_gid;
  }
  drop_privileges_ = as.drop;
  run_uid_ = as.uid;
  run_gid_ = as.gid;

  // The socket path "<dir>/.s.PGSQL.<port>" must fit in 107 bytes, and the
  // server user must be able to reach the directory.
  std::string base = "/tmp";
  if (const char* tmpdir = std::getenv("TMPDIR")) {
    std::string t = tmpdir;
    while (t.size() > 1 && t.back() == '/') t.pop_back();
    if (!t.empty() && t.size() <= 60 && t.find('\'') == std::string::npos &&
        (!as.drop || Traversable(t, as.uid, as.gid))) {
      base = t;
    }
  }
  std::string templ = base + "/retort-pg.XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    throw Error(ExitCode::kUnreachable,
                "cannot create a temporary directory under " + base + ": " +
                    std::strerror(errno));
  }
  dir_ = buf.data();
  registry_slot_ = RegisterSlot(dir_);
  InstallHandlersOnce();
  if (as.drop && chown(dir_.c_str(), as.uid, as.gid) != 0) {
    throw Error(ExitCode::kUnreachable,
                "cannot hand " + dir_ + " to the server user: " +
                    std::strerror(errno));
  }

  const std::string data = dir_ + "/data";
  std::vector<std::string> initdb = {
      bin_dir_ + "/initdb", "-D", data, "-U", "postgres", "-E", "UTF8",
      "--locale=C", "--no-sync", "--auth=trust", "--no-instructions"};
  const std::string pwfile = dir_ + "/pwfile";
  if (!options_.superuser_password.empty()) {
    {
      int fd = open(pwfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                    0600);
      if (fd < 0) {
        throw Error(ExitCode::kUnreachable,
                    "cannot write " + pwfile + ": " + std::strerror(errno));
      }
      std::string line = options_.superuser_password + "\n";
      ssize_t written = write(fd, line.data(), line.size());
      close(fd);
      if (written != static_cast<ssize_t>(line.size()) ||
          (as.drop && chown(pwfile.c_str(), as.uid, as.gid) != 0)) {
        throw Error(ExitCode::kUnreachable, "cannot write " + pwfile);
      }
    }
    initdb.push_back("--auth-host=scram-sha-256");
    initdb.push_back("--pwfile=" + pwfile);
  }
  const std::string initdb_log = dir_ + "/initdb.log";
  int rc = Run(initdb, initdb_log, as);
  unlink(pwfile.c_str());
  if (rc != 0) {
    throw Error(ExitCode::kUnreachable,
                "initdb failed (exit " + std::to_string(rc) + "):\n" +
                    ReadTail(initdb_log, 20));
  }

  const std::string server_log = dir_ + "/server.log";
  const std::string pg_ctl_log = dir_ + "/pg_ctl.log";
  for (int attempt = 1;; ++attempt) {
    port_ = FreeTcpPort();
    if (port_ == 0) {
      throw Error(ExitCode::kUnreachable,
                  "cannot find a free TCP port on 127.0.0.1");
    }
    const std::string server_options =
        "-p " + std::to_string(port_) + " -k " + ShellQuote(dir_) +
        " -c listen_addresses=127.0.0.1 -c fsync=off"
        " -c synchronous_commit=off -c full_page_writes=off";
    rc = Run({bin_dir_ + "/pg_ctl", "-D", data, "-l", server_log, "-w", "-t",
              "60", "-o", server_options, "start"},
             pg_ctl_log, as);
    if (rc == 0) break;
    // Another process may have taken the port between our probe and the
    // server's bind: try another one.
    const std::string log = FileText(server_log);
    bool port_taken = log.find("Address already in use") != std::string::npos;
    if (!port_taken || attempt >= 5) {
      throw Error(ExitCode::kUnreachable,
                  "the temporary PostgreSQL server did not start (pg_ctl exit " +
                      std::to_string(rc) + "):\n" + ReadTail(server_log, 20) +
                      (ReadTail(pg_ctl_log, 5).empty()
                           ? ""
                           : "\n" + ReadTail(pg_ctl_log, 5)));
    }
    std::ofstream truncate(server_log, std::ios::trunc);
  }
  postmaster_pid_ = ReadPidFile((data + "/postmaster.pid").c_str());
}

std::string EphemeralCluster::Conninfo() const {
  std::string out = "host=127.0.0.1 port=" + std::to_string(port_) +
                    " user=postgres dbname=postgres";
  if (!options_.superuser_password.empty()) {
    out += " password=" + QuoteConninfoValue(options_.superuser_password);
  }
  return out;
}

std::string EphemeralCluster::SocketConninfo() const {
  return "host=" + QuoteConninfoValue(dir_) + " port=" +
         std::to_string(port_) + " user=postgres dbname=postgres";
}

void EphemeralCluster::Stop() {
  // A forked child (a test helper, say) must not stop its parent's server.
  if (getpid() != owner_pid_) return;
  try {
    Cleanup();
  } catch (...) {
  }
}

void EphemeralCluster::Cleanup() {
  if (dir_.empty() || cleaned_) return;
  cleaned_ = true;
  UnregisterSlot(registry_slot_);
  registry_slot_ = -1;
  const std::string data = dir_ + "/data";
  const std::string pidfile = data + "/postmaster.pid";
  pid_t pid = ReadPidFile(pidfile.c_str());
  if (pid > 0) {
    RunAs as{drop_privileges_, run_uid_, run_gid_};
    int rc = Run({bin_dir_ + "/pg_ctl", "-D", data, "-m", "fast", "-w", "-t",
                  "30", "stop"},
                 dir_ + "/pg_ctl.log", as);
    if (rc != 0 && kill(pid, SIGQUIT) == 0) {
      WaitForPostmasterExit(pid, pidfile.c_str(), 10000);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  postmaster_pid_ = 0;
}

}  // namespace retort
