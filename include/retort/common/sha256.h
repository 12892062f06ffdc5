#pragma once
#include <string>

namespace retort {

/// Incremental SHA-256 (OpenSSL EVP), hex-encoded.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const std::string& bytes);
  /// Lower-case hex digest; the object cannot be updated afterwards.
  std::string HexDigest();

 private:
  void* ctx_;  ///< EVP_MD_CTX*, kept opaque so callers need no OpenSSL headers
};

}  // namespace retort
