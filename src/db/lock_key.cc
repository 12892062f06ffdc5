#include "retort/db/lock_key.h"

namespace retort {

std::int64_t RunLockKey(const std::string& schema, const std::string& table) {
  constexpr std::uint64_t kOffsetBasis = 14695981039346656037ULL;
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  const std::string text = "retort:" + schema + "." + table;
  std::uint64_t hash = kOffsetBasis;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= kPrime;
  }
  // Two's-complement reinterpretation, defined behaviour for a memcpy-free
  // cast since C++20 and implementation-defined (but universal) before.
  return static_cast<std::int64_t>(hash);
}

std::uint32_t LockKeyClassId(std::int64_t key) {
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(key) >> 32);
}

std::uint32_t LockKeyObjId(std::int64_t key) {
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(key) &
                                    0xffffffffULL);
}

}  // namespace retort
