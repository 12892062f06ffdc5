#pragma once
#include <cstddef>
#include <optional>
#include <string>

namespace retort {

/// Largest project file (retort.yaml, migration.yaml, *.sql) retort reads:
/// far above any real migration, low enough that a stray dump is refused
/// with a clear message instead of being loaded into memory.
inline constexpr std::size_t kMaxProjectFileBytes = std::size_t{16} << 20;

/// `path` as the user would recognise it in a message: relative to the
/// current directory when it lies under it, else absolute (lexically
/// normalised either way).
std::string DisplayPath(const std::string& path);

/// Reads a whole project file as UTF-8 text. Throws ProjectError:
/// "<shown>: cannot read <what>: <strerror>", "<shown>: file is larger
/// than 16 MiB", or CheckUtf8Text's errors. `shown` is the path used in
/// messages (usually DisplayPath(path)).
std::string ReadProjectFile(const std::string& path, const std::string& shown,
                            const std::string& what,
                            std::size_t max_bytes = kMaxProjectFileBytes);

/// ReadProjectFile, but nullopt when the file does not exist (one open,
/// no separate stat: the loader reads thousands of these).
std::optional<std::string> ReadProjectFileIfExists(const std::string& path, const std::string& shown,
                                                   const std::string& what,
                                                   std::size_t max_bytes = kMaxProjectFileBytes);

/// The same, with `path` relative to the open directory `dir_fd` (openat):
/// the kernel then resolves one short path instead of a long one per file.
std::optional<std::string> ReadProjectFileIfExistsAt(int dir_fd, const std::string& path,
                                                     const std::string& shown, const std::string& what,
                                                     std::size_t max_bytes = kMaxProjectFileBytes);

/// Throws ProjectError "<shown>:<line>:<column>: ..." at the first NUL byte
/// or invalid UTF-8 sequence (overlong forms, surrogates and code points
/// above U+10FFFF included). Lines and columns are 1-based, columns in
/// characters.
void CheckUtf8Text(const std::string& shown, const std::string& text);

/// 1-based column, in characters, of the byte `byte_column` (0-based) of
/// the 0-based line `line` of `text`; yaml-cpp counts columns in bytes.
int CharacterColumn(const std::string& text, int line, int byte_column);

}  // namespace retort
