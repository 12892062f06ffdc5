// `:tenant_id` placeholders of isolation fixtures (SPEC §3) become bound
// parameters: the tenant id is never spliced into SQL text.
#include "retort/sql/named_parameter.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <vector>

namespace retort {

std::string BindNamedParameter(const std::string& sql, const std::string& name, int number,
                               int* count) {
  std::vector<std::pair<int, int>> spans;  // byte ranges of ":name"
  PgQueryScanResult scan = pg_query_scan(sql.c_str());
  if (scan.error == nullptr) {
    PgQuery__ScanResult* result = pg_query__scan_result__unpack(
        nullptr, scan.pbuf.len, reinterpret_cast<const uint8_t*>(scan.pbuf.data));
    if (result != nullptr) {
      for (size_t i = 0; i + 1 < result->n_tokens; ++i) {
        const PgQuery__ScanToken* colon = result->tokens[i];
        const PgQuery__ScanToken* ident = result->tokens[i + 1];
        if (colon->end - colon->start != 1 || sql[static_cast<size_t>(colon->start)] != ':') continue;
        if (ident->start != colon->end || ident->token != PG_QUERY__TOKEN__IDENT) continue;
        if (sql.compare(static_cast<size_t>(ident->start), static_cast<size_t>(ident->end - ident->start),
                        name) != 0 ||
            static_cast<size_t>(ident->end - ident->start) != name.size()) {
          continue;
        }
        spans.emplace_back(colon->start, ident->end);
      }
      pg_query__scan_result__free_unpacked(result, nullptr);
    }
  }
  pg_query_free_scan_result(scan);
  if (count != nullptr) *count = static_cast<int>(spans.size());
  std::string out;
  size_t at = 0;
  for (const auto& [begin, end] : spans) {
    out.append(sql, at, static_cast<size_t>(begin) - at);
    out += "$" + std::to_string(number);
    at = static_cast<size_t>(end);
  }
  out.append(sql, at, std::string::npos);
  return out;
}

}  // namespace retort
