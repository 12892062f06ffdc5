#pragma once
#include <stdexcept>
#include <string>
#include <vector>

namespace retort {

/// One statement of a script, located in the script's bytes.
struct StatementSpan {
  size_t begin = 0;   ///< byte offset of the first token (leading comments excluded)
  size_t end = 0;     ///< byte offset just past the last token (no ';')
  int line = 1;       ///< 1-based line of the first token
  int column = 1;     ///< 1-based column (in characters) of the first token
  std::string text;   ///< bytes [begin, end)
};

/// A syntax error, positioned in the whole script.
class SqlSyntaxError : public std::runtime_error {
 public:
  SqlSyntaxError(const std::string& message, int line, int column)
      : std::runtime_error(message), line_(line), column_(column) {}
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  int line_, column_;
};

/// Splits a script into statements with PostgreSQL's own parser (libpg_query),
/// so dollar quotes, BEGIN ATOMIC bodies and comments are handled exactly as
/// the server would. A script of only comments and whitespace has none.
/// Throws SqlSyntaxError on a syntax error anywhere in the script.
std::vector<StatementSpan> SplitStatements(const std::string& sql);

/// 1-based (line, column) of a byte offset; columns count UTF-8 characters.
std::pair<int, int> LineColumnOfByte(const std::string& text, size_t byte_offset);
/// Byte offset of a 1-based character position (as PostgreSQL reports them).
size_t ByteOffsetOfCharPosition(const std::string& text, int char_position);

}  // namespace retort
