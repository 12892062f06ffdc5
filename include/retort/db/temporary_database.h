#pragma once
#include <string>

namespace retort {

/// A database a run creates for itself on a server, dropped when this is
/// destroyed (verify's scratch database). An interface so that the binary
/// can hold one made by libretort-pg.so (DisposableDatabase).
class TemporaryDatabase {
 public:
  virtual ~TemporaryDatabase() = default;
  virtual const std::string& name() const = 0;
  /// Conninfo of the new database.
  virtual const std::string& url() const = 0;
};

}  // namespace retort
