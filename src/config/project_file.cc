#include "retort/config/project_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "retort/common/error.h"

namespace retort {
namespace {

namespace fs = std::filesystem;

const char kBom[] = "\xEF\xBB\xBF";

/// Closes a file descriptor on every path out of ReadProjectFile.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

/// Length of the valid UTF-8 sequence at `i`, or 0 if it is invalid.
std::size_t Utf8SequenceLength(const std::string& text, std::size_t i) {
  auto byte = [&](std::size_t k) {
    return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u;
  };
  auto cont = [&](std::size_t k) { return (byte(k) & 0xC0u) == 0x80u; };
  unsigned c = byte(i);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned c1 = byte(i + 1);
    // E0 needs A0..BF (no overlongs); ED needs 80..9F (no surrogates).
    if (c == 0xE0 && (c1 < 0xA0 || c1 > 0xBF)) return 0;
    if (c == 0xED && (c1 < 0x80 || c1 > 0x9F)) return 0;
    return cont(i + 1) && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned c1 = byte(i + 1);
    // F0 needs 90..BF (no overlongs); F4 needs 80..8F (<= U+10FFFF).
    if (c == 0xF0 && (c1 < 0x90 || c1 > 0xBF)) return 0;
    if (c == 0xF4 && (c1 < 0x80 || c1 > 0x8F)) return 0;
    return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

/// "<shown>:<line>:<column>" of byte offset `pos` (1-based, columns in
/// characters; the text before `pos` is valid UTF-8).
std::string PositionOf(const std::string& shown, const std::string& text,
                       std::size_t pos) {
  int line = 1;
  int column = 1;
  // Editors do not show a byte order mark, and yaml-cpp does not count it.
  std::size_t start = text.compare(0, 3, kBom) == 0 && pos >= 3 ? 3 : 0;
  for (std::size_t i = start; i < pos; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0u) != 0x80u) {
      ++column;
    }
  }
  return shown + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string HexByte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", c);
  return buf;
}

}  // namespace

std::string DisplayPath(const std::string& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(fs::path(path), ec);
  if (ec) return path;
  absolute = absolute.lexically_normal();
  fs::path cwd = fs::current_path(ec);
  if (ec) return absolute.string();
  fs::path relative = absolute.lexically_relative(cwd.lexically_normal());
  if (relative.empty() || *relative.begin() == "..") return absolute.string();
  std::string shown = relative.string();
  // "versions/" normalises with a trailing separator; messages read better without.
  if (shown.size() > 1 && shown.back() == '/') shown.pop_back();
  return shown;
}

std::string ReadProjectFile(const std::string& path, const std::string& shown,
                            const std::string& what, std::size_t max_bytes) {
  std::optional<std::string> text = ReadProjectFileIfExists(path, shown, what, max_bytes);
  if (!text) {
    throw ProjectError(shown + ": cannot read " + what + ": " + std::strerror(ENOENT));
  }
  return std::move(*text);
}

std::optional<std::string> ReadProjectFileIfExists(const std::string& path, const std::string& shown,
                                                   const std::string& what, std::size_t max_bytes) {
  return ReadProjectFileIfExistsAt(AT_FDCWD, path, shown, what, max_bytes);
}

std::optional<std::string> ReadProjectFileIfExistsAt(int dir_fd, const std::string& path,
                                                     const std::string& shown, const std::string& what,
                                                     std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
  // forever (a hang, not the "not a regular file" error below). Reads of
  // regular files ignore the flag.
  int fd = ::openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw ProjectError(shown + ": cannot read " + what + ": " +
                       std::strerror(errno));
  }
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    throw ProjectError(shown + ": cannot read " + what + ": " +
                       std::strerror(EISDIR));
  }
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode)) {
    throw ProjectError(shown + ": not a regular file");
  }
  auto too_large = [&] {
    return ProjectError(
        shown + ": file is larger than " + std::to_string(max_bytes >> 20) +
            " MiB",
        "retort reads migration and config files whole; split the migration "
        "or load bulk data another way");
  };
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > max_bytes) {
    throw too_large();
  }
  // Read in chunks rather than trusting st_size alone: a file may grow
  // while it is read.
  std::string text;
  if (S_ISREG(st.st_mode)) text.reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw ProjectError(shown + ": cannot read " + what + ": " +
                         std::strerror(errno));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_bytes) throw too_large();
    // A regular file gives less than asked only at its end: no second read()
    // just to see 0 (one system call fewer per file, and a project of 10,000
    // revisions reads 10,000 migration.yaml files). A file that has grown
    // past its fstat() size is read on.
    if (S_ISREG(st.st_mode) && static_cast<std::size_t>(n) < sizeof buf &&
        text.size() >= static_cast<std::size_t>(st.st_size)) {
      break;
    }
  }
  CheckUtf8Text(shown, text);
  return text;
}

void CheckUtf8Text(const std::string& shown, const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0) {
      throw ProjectError(PositionOf(shown, text, i) + ": file contains a NUL byte",
                         "retort reads only UTF-8 text files; is this a binary "
                         "or UTF-16 file?");
    }
    std::size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      throw ProjectError(PositionOf(shown, text, i) + ": invalid UTF-8 (byte " +
                             HexByte(c) + ")",
                         "save the file as UTF-8");
    }
    i += n;
  }
}

int CharacterColumn(const std::string& text, int line, int byte_column) {
  if (line < 0 || byte_column < 0) return 1;
  std::size_t pos = line == 0 && text.compare(0, 3, kBom) == 0 ? 3 : 0;
  for (int l = 0; l < line; ++l) {
    pos = text.find('\n', pos);
    if (pos == std::string::npos) return byte_column + 1;
    ++pos;
  }
  int column = 1;
  for (std::size_t i = pos; i < pos + static_cast<std::size_t>(byte_column) &&
                            i < text.size();
       ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0u) != 0x80u) ++column;
  }
  return column;
}

}  // namespace retort
