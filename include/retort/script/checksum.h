#pragma once
#include <string>

#include "retort/script/script.h"

namespace retort {

/// SHA-256 (hex) over a revision's three files, each framed by its name and
/// length so that moving text between files changes the digest. Recorded in
/// the history table by every step and compared by `retort check` to find
/// applied revisions whose files were edited afterwards.
std::string RevisionChecksum(const Script& script);

}  // namespace retort
