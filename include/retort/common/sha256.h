#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace retort {

/// Incremental SHA-256 (FIPS 180-4), hex-encoded. retort's own rather than
/// OpenSSL's: linking libcrypto cost every command ~2.5 M instructions of
/// relocations at start-up, for a few checksums that only some commands take.
class Sha256 {
 public:
  Sha256();
  void Update(const std::string& bytes) { Update(bytes.data(), bytes.size()); }
  void Update(const char* data, std::size_t size);
  /// Lower-case hex digest; the object cannot be updated afterwards.
  std::string HexDigest();

 private:
  /// Mixes one 64-byte block into state_.
  void Compress(const unsigned char* block);

  std::uint32_t state_[8];
  unsigned char buffer_[64];
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

}  // namespace retort
