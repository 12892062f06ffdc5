#include "retort/common/random_id.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "retort/common/error.h"

namespace retort {

std::string NewRevisionId() {
  unsigned char bytes[6];
  // The kernel's CSPRNG; a request this small is never cut short once the
  // pool is initialised, which getrandom() waits for.
  ssize_t got;
  do {
    got = getrandom(bytes, sizeof bytes, 0);
  } while (got < 0 && errno == EINTR);
  if (got != static_cast<ssize_t>(sizeof bytes)) {
    throw Error(ExitCode::kStepFailed, std::string("could not read random bytes for a revision id: ") +
                                           (got < 0 ? std::strerror(errno) : "short read"));
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
