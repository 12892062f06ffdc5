#include "pg_internal.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "retort/pg/connection_url.h"

namespace retort {
namespace pg_detail {
namespace {

std::string Field(const PGresult* r, int field) {
  const char* v = PQresultErrorField(r, field);
  return v != nullptr ? v : "";
}

}  // namespace

long long Rows::Int(int row, int col) const {
  return std::strtoll(PQgetvalue(result_.get(), row, col), nullptr, 10);
}

std::vector<std::string> Rows::Array(int row, int col) const {
  if (IsNull(row, col)) return {};
  return ParseArray(Text(row, col));
}

long long Rows::Affected() const {
  const char* n = PQcmdTuples(result_.get());
  return (n != nullptr && *n != '\0') ? std::strtoll(n, nullptr, 10) : 0;
}

std::string Quote(const std::string& identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::pair<std::string, std::string> SplitQualified(const std::string& name) {
  const size_t dot = name.find('.');
  if (dot == std::string::npos) return {"", name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

std::string QuoteQualified(const std::string& name) {
  const auto parts = SplitQualified(name);
  if (parts.first.empty()) return Quote(parts.second);
  return Quote(parts.first) + "." + Quote(parts.second);
}

std::string ArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::vector<std::string> ParseArray(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  // An explicit lower bound ("[0:1]={...}") precedes the braces.
  const size_t brace = text.find('{');
  if (brace == std::string::npos) return out;
  i = brace + 1;
  if (i < text.size() && text[i] == '}') return out;
  while (i < text.size()) {
    std::string item;
    bool quoted = false;
    if (text[i] == '"') {
      quoted = true;
      ++i;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        item += text[i++];
      }
      ++i;  // closing quote
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '}') {
        item += text[i++];
      }
    }
    if (!quoted && item == "NULL") item.clear();
    out.push_back(std::move(item));
    if (i >= text.size() || text[i] == '}') break;
    ++i;  // the comma
  }
  return out;
}

StatementError ErrorFromResult(const PGresult* r, const std::string& password) {
  auto mask = [&](const std::string& text) {
    return MaskPassword(text, password);
  };
  std::string message = Field(r, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) {
    // A client-side failure: the first line of libpq's text, unprefixed.
    message = PQresultErrorMessage(r);
    message = message.substr(0, message.find('\n'));
    for (const char* prefix : {"ERROR:  ", "FATAL:  ", "PANIC:  "}) {
      const std::string p = prefix;
      if (message.compare(0, p.size(), p) == 0) {
        message = message.substr(p.size());
        break;
      }
    }
  }
  const char* pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
  return StatementError(Field(r, PG_DIAG_SQLSTATE), mask(message),
                        pos != nullptr ? std::atoi(pos) : 0,
                        mask(Field(r, PG_DIAG_MESSAGE_DETAIL)),
                        mask(Field(r, PG_DIAG_MESSAGE_HINT)),
                        mask(Field(r, PG_DIAG_CONTEXT)));
}

}  // namespace pg_detail
}  // namespace retort
