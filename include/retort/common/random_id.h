#pragma once
#include <string>

namespace retort {

/// A fresh 12-hex-character revision id from the kernel's getrandom() (the
/// same shape as Alembic's uuid4().hex[-12:]).
std::string NewRevisionId();

}  // namespace retort
