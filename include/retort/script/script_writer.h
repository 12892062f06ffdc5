#pragma once
#include <chrono>
#include <string>

#include "retort/revision/revision.h"

namespace retort {

/// `retort init DIR`: creates DIR (and its parents) with retort.yaml
/// (DefaultConfigText) and an empty versions/. Refuses, as Alembic does,
/// with "Directory <dir> already exists and is not empty".
void InitScriptDirectory(const std::string& dir);

/// Alembic's file-name slug of a message: its \w+ words (ASCII letters,
/// digits and _; other bytes separate words) joined by "_" and lowercased;
/// above 40 characters cut at 40, back to the last "_", then "_" appended.
std::string Slugify(const std::string& message);

/// Writes <versions_dir>/<id>_<slug>/ (or <id>/ for an empty slug) with
/// migration.yaml, upgrade.sql and downgrade.sql; returns the folder's
/// path. A normal revision gets comment-only SQL files, so the stub gate
/// refuses it until someone writes the real inverse; a merge gets a
/// "nothing to do" comment in both. Refuses (ProjectError) an invalid id,
/// a message that is not UTF-8, a missing versions_dir or an existing
/// folder. The YAML round-trips through ParseMigrationYaml.
std::string WriteRevisionFolder(const std::string& versions_dir,
                                const Revision& rev, bool merge);

/// The local time as Python's str(datetime.now()) writes it:
/// "2026-11-26 07:13:12.083186" (no fraction when the microseconds are 0).
std::string NowCreateDate();
/// FormatCreateDate(now) is NowCreateDate(); apart for tests.
std::string FormatCreateDate(std::chrono::system_clock::time_point time);

}  // namespace retort
