// The entry point of libretort-pg.so, as main.cc is the binary's: the table
// of functions the binary reaches through LoadPgModule() (pg_module.h).
// Everything else in the module stays local (pg_module.map).
#include <memory>
#include <string>

#include "retort/common/version.h"
#include "retort/db/pg_module.h"
#include "retort/pg/disposable_database.h"
#include "retort/pg/library_version.h"
#include "retort/pg/pg_database.h"

namespace {

std::unique_ptr<retort::Database> Connect(const std::string& url, const retort::Config& config) {
  return std::make_unique<retort::PgDatabase>(url, config);
}

std::unique_ptr<retort::TemporaryDatabase> CreateDisposable(const std::string& server_url,
                                                            const std::string& prefix) {
  return std::make_unique<retort::DisposableDatabase>(server_url, prefix);
}

constexpr retort::PgModule kModule{retort::kVersion, &Connect, &CreateDisposable, &retort::LibpqVersion};

}  // namespace

extern "C" const retort::PgModule* retort_pg_module() { return &kModule; }
