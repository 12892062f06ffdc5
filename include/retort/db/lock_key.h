#pragma once
#include <cstdint>
#include <string>

namespace retort {

/// The key of the session-level advisory lock that serialises retort runs
/// on one version table: 64-bit FNV-1a over the bytes of
/// "retort:" + schema + "." + table, read as a two's-complement bigint.
/// `schema` is the schema the version table lives in (the configured
/// version_table_schema, else the connection's current_schema()). The
/// function is fixed forever: every retort version, on every machine, must
/// compute the same key, so that different builds exclude each other. (That
/// is why it is not std::hash, whose values are unspecified.)
std::int64_t RunLockKey(const std::string& schema, const std::string& table);

/// pg_locks shows a bigint advisory key split in two oids: classid holds the
/// high 32 bits, objid the low 32 bits (and objsubid is 1).
std::uint32_t LockKeyClassId(std::int64_t key);
std::uint32_t LockKeyObjId(std::int64_t key);

}  // namespace retort
