// Fuzz target: statement analysis (AnalyzeSql) over an arbitrary script:
// split with libpg_query, parse each statement, walk the parse trees, parse
// DO bodies as PL/pgSQL. Expected failures are SqlSyntaxError and
// retort::Error; anything else escaping is a bug.
#include <cstdint>
#include <string>

#include "retort/common/error.h"
#include "retort/sql/statement_analysis.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string sql(reinterpret_cast<const char*>(data), size);
  try {
    std::vector<retort::AnalyzedStatement> statements = retort::AnalyzeSql(sql);
    (void)retort::ChangesSomething(statements);
    for (const retort::AnalyzedStatement& s : statements) {
      // Spans lie inside the script, and text is exactly those bytes.
      if (s.span.begin > s.span.end || s.span.end > sql.size() ||
          s.span.text != sql.substr(s.span.begin, s.span.end - s.span.begin) || s.span.line < 1 ||
          s.span.column < 1) {
        __builtin_trap();
      }
      (void)retort::LockLevelName(s.lock);
      for (const retort::SqlObject& o : s.tables_touched) (void)retort::QualifiedName(o);
    }
  } catch (const retort::SqlSyntaxError&) {
  } catch (const retort::Error&) {
  }
  return 0;
}
