#include "retort/common/random_id.h"

#include <openssl/rand.h>

#include "retort/common/error.h"

namespace retort {

std::string NewRevisionId() {
  unsigned char bytes[6];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    throw Error(ExitCode::kStepFailed, "OpenSSL could not produce random bytes for a revision id");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0xF];
  }
  return id;
}

}  // namespace retort
