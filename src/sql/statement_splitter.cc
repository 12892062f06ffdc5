// Statement splitting on libpg_query: the parser finds statement boundaries,
// the scanner trims each span to its first and last real token (comments
// around a statement are not part of it).
#include "retort/sql/statement_splitter.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <memory>

namespace retort {
namespace {

bool IsContinuationByte(unsigned char c) { return (c & 0xC0) == 0x80; }

struct TokenRange {
  int begin = -1;
  int end = -1;
};

/// First and last non-comment token of `text` (offsets in bytes), using the
/// real PostgreSQL scanner.
TokenRange SignificantTokens(const std::string& text) {
  TokenRange range;
  PgQueryScanResult scan = pg_query_scan(text.c_str());
  if (scan.error == nullptr) {
    PgQuery__ScanResult* result = pg_query__scan_result__unpack(
        nullptr, scan.pbuf.len, reinterpret_cast<const uint8_t*>(scan.pbuf.data));
    if (result != nullptr) {
      for (size_t i = 0; i < result->n_tokens; ++i) {
        const PgQuery__ScanToken* t = result->tokens[i];
        if (t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT) continue;
        if (range.begin < 0) range.begin = t->start;
        range.end = t->end;
      }
      pg_query__scan_result__free_unpacked(result, nullptr);
    }
  }
  pg_query_free_scan_result(scan);
  return range;
}

/// Moves (line, column) from byte `from` to byte `to` of `text`.
void Advance(const std::string& text, size_t from, size_t to, int* line, int* column) {
  for (size_t i = from; i < to && i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++*line;
      *column = 1;
    } else if (!IsContinuationByte(c)) {
      ++*column;
    }
  }
}

}  // namespace

std::pair<int, int> LineColumnOfByte(const std::string& text, size_t byte_offset) {
  int line = 1, column = 1;
  Advance(text, 0, byte_offset, &line, &column);
  return {line, column};
}

size_t ByteOffsetOfCharPosition(const std::string& text, int char_position) {
  int chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsContinuationByte(static_cast<unsigned char>(text[i]))) continue;
    if (++chars == char_position) return i;
  }
  return text.size();
}

std::vector<StatementSpan> SplitStatements(const std::string& sql) {
  if (sql.find('\0') != std::string::npos) {
    auto [line, column] = LineColumnOfByte(sql, sql.find('\0'));
    throw SqlSyntaxError("NUL byte in SQL text", line, column);
  }
  PgQuerySplitResult split = pg_query_split_with_parser(sql.c_str());
  std::unique_ptr<PgQuerySplitResult, void (*)(PgQuerySplitResult*)> guard(
      &split, [](PgQuerySplitResult* r) { pg_query_free_split_result(*r); });
  if (split.error != nullptr) {
    size_t byte = split.error->cursorpos > 0
                      ? ByteOffsetOfCharPosition(sql, split.error->cursorpos)
                      : 0;
    auto [line, column] = LineColumnOfByte(sql, byte);
    throw SqlSyntaxError(split.error->message, line, column);
  }
  std::vector<StatementSpan> out;
  // Positions advance from the previous statement's, so a script of many
  // statements is read once, not once per statement.
  size_t position_byte = 0;
  int line = 1, column = 1;
  for (int i = 0; i < split.n_stmts; ++i) {
    const PgQuerySplitStmt* s = split.stmts[i];
    std::string raw = sql.substr(static_cast<size_t>(s->stmt_location), static_cast<size_t>(s->stmt_len));
    TokenRange tokens;
    if (raw.find("--") == std::string::npos && raw.find("/*") == std::string::npos) {
      // No comment can start anywhere in these bytes, so the statement is
      // the span minus surrounding whitespace; the scanner is only needed
      // when a comment may be present (it is most of the cost per file).
      const char* kSpace = " \t\n\r\f\v";
      size_t b = raw.find_first_not_of(kSpace);
      if (b == std::string::npos) continue;
      tokens.begin = static_cast<int>(b);
      tokens.end = static_cast<int>(raw.find_last_not_of(kSpace) + 1);
    } else {
      tokens = SignificantTokens(raw);
    }
    if (tokens.begin < 0) continue;  // only comments
    StatementSpan span;
    span.begin = static_cast<size_t>(s->stmt_location) + static_cast<size_t>(tokens.begin);
    span.end = static_cast<size_t>(s->stmt_location) + static_cast<size_t>(tokens.end);
    span.text = sql.substr(span.begin, span.end - span.begin);
    Advance(sql, position_byte, span.begin, &line, &column);
    position_byte = span.begin;
    span.line = line;
    span.column = column;
    out.push_back(std::move(span));
  }
  return out;
}

}  // namespace retort
