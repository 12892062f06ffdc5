#pragma once
#include <stdexcept>
#include <string>
#include <vector>

namespace retort {

/// A failure to resolve or traverse revisions, raised by the pure graph code.
/// The kinds mirror Alembic's RevisionError subclasses, because the command
/// layer words its message differently for each (see FormatRevisionError).
class RevisionError : public std::runtime_error {
 public:
  enum class Kind {
    kGeneric,           ///< message is final ("Ambiguous walk", ...)
    kRangeNotAncestor,  ///< lower/upper are not along one branch
    kMultipleHeads,     ///< "head" (or similar) named several heads
    kResolution,        ///< an identifier resolved to nothing or to several
  };

  explicit RevisionError(const std::string& message)
      : std::runtime_error(message), kind_(Kind::kGeneric) {}

  static RevisionError RangeNotAncestor(const std::string& lower,
                                        const std::string& upper);
  static RevisionError MultipleHeads(const std::vector<std::string>& heads,
                                     const std::string& argument);
  static RevisionError Resolution(const std::string& message,
                                  const std::string& argument);

  Kind kind() const { return kind_; }
  /// kRangeNotAncestor: the two ends as given ("" means base).
  const std::string& lower() const { return lower_; }
  const std::string& upper() const { return upper_; }
  /// kMultipleHeads: the heads found; kMultipleHeads/kResolution: the argument.
  const std::vector<std::string>& heads() const { return heads_; }
  const std::string& argument() const { return argument_; }

 private:
  RevisionError(Kind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}

  Kind kind_;
  std::string lower_, upper_;
  std::vector<std::string> heads_;
  std::string argument_;
};

/// How a command words a RevisionError (Alembic's _catch_revision_errors):
/// each field, when set, replaces the default wording for that kind.
/// "%(start)s", "%(end)s", "%(head_arg)s" are substituted as Alembic does.
struct RevisionErrorWording {
  std::string ancestor;        ///< for kRangeNotAncestor
  std::string multiple_heads;  ///< for kMultipleHeads
  std::string resolution;      ///< for kResolution
  std::string start, end;      ///< substituted into the wordings; "" = from the error
  bool has_start = false, has_end = false;
};

/// The message Alembic's command layer would print for `error`.
std::string FormatRevisionError(const RevisionError& error,
                                const RevisionErrorWording& wording = {});

}  // namespace retort
