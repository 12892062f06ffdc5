// The only place statement analysis calls libpg_query: text in, JSON tree
// out, with every result freed (also on error) and the stack guarded.
#include <pg_query.h>
#include <pthread.h>

#include <string>

#include "analysis_internal.h"

namespace retort {
namespace sql_internal {
namespace {

// libpg_query writes its JSON with one C recursion per tree level; a
// left-associative chain like 1+1+...+1 nests one level per two bytes of
// text, and measured ~70 bytes of stack per byte of such text. Texts up to
// kInlineLimit are parsed on the caller's stack (at most ~2.3 MB); larger
// ones on a thread whose stack has kStackPerByte (over 3x the measured need)
// per byte, up to kMaxStack: beyond, the statement is not analysed.
constexpr size_t kInlineLimit = 32 * 1024;
constexpr size_t kStackPerByte = 256;
constexpr size_t kBaseStack = 8u << 20;
constexpr size_t kMaxStack = 1u << 30;

struct RawResult {
  bool ok = false;
  std::string json;
  std::string error;
  int cursorpos = 0;
};

enum class Parser { kSql, kPlpgsql };

// Runs the parser; never throws (it may run on a thread of its own).
void RunParser(Parser parser, const std::string& text, RawResult* out) noexcept {
  try {
    if (parser == Parser::kSql) {
      PgQueryParseResult r = pg_query_parse(text.c_str());
      if (r.error != nullptr) {
        out->error = r.error->message != nullptr ? r.error->message : "syntax error";
        out->cursorpos = r.error->cursorpos;
      } else {
        out->json = r.parse_tree;
        out->ok = true;
      }
      pg_query_free_parse_result(r);
    } else {
      PgQueryPlpgsqlParseResult r = pg_query_parse_plpgsql(text.c_str());
      if (r.error != nullptr) {
        out->error = r.error->message != nullptr ? r.error->message : "syntax error";
        out->cursorpos = r.error->cursorpos;
      } else {
        out->json = r.plpgsql_funcs != nullptr ? r.plpgsql_funcs : "[]";
        out->ok = true;
      }
      pg_query_free_plpgsql_parse_result(r);
    }
  } catch (...) {  // std::bad_alloc copying the result
    out->ok = false;
    out->error = "out of memory";
  }
}

struct ThreadJob {
  Parser parser;
  const std::string* text;
  RawResult* result;
};

void* ThreadMain(void* arg) {
  auto* job = static_cast<ThreadJob*>(arg);
  RunParser(job->parser, *job->text, job->result);
  // No pg_query_exit() here: libpg_query frees the thread's memory context
  // in its own thread-exit destructor, and freeing it first is a double free.
  return nullptr;
}

ParseOutcome Parse(Parser parser, const std::string& text) {
  ParseOutcome outcome;
  RawResult raw;
  if (text.size() <= kInlineLimit) {
    RunParser(parser, text, &raw);
  } else {
    size_t stack = kBaseStack + text.size() * kStackPerByte;
    if (text.size() > (kMaxStack - kBaseStack) / kStackPerByte) {
      outcome.too_large = true;
      outcome.error = "statement too large to analyse";
      return outcome;
    }
    ThreadJob job{parser, &text, &raw};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, stack);
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, &ThreadMain, &job);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      outcome.too_large = true;
      outcome.error = "no thread to analyse a large statement on";
      return outcome;
    }
    pthread_join(thread, nullptr);
  }
  if (!raw.ok) {
    outcome.error = raw.error;
    outcome.cursorpos = raw.cursorpos;
    return outcome;
  }
  // nlohmann's parser and destructor are iterative, so depth is no danger here.
  outcome.tree = Json::parse(raw.json, nullptr, /*allow_exceptions=*/false);
  if (outcome.tree.is_discarded()) {
    outcome.error = "libpg_query returned unreadable JSON";
    return outcome;
  }
  outcome.ok = true;
  return outcome;
}

}  // namespace

ParseOutcome ParseSql(const std::string& text) { return Parse(Parser::kSql, text); }

ParseOutcome ParsePlpgsql(const std::string& function_text) { return Parse(Parser::kPlpgsql, function_text); }

}  // namespace sql_internal
}  // namespace retort
