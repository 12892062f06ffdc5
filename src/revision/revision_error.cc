#include "retort/revision/revision_error.h"

#include "retort/common/text.h"

namespace retort {

RevisionError RevisionError::RangeNotAncestor(const std::string& lower,
                                              const std::string& upper) {
  RevisionError e(Kind::kRangeNotAncestor,
                  "Revision " + (lower.empty() ? std::string("base") : lower) +
                      " is not an ancestor of revision " +
                      (upper.empty() ? std::string("base") : upper));
  e.lower_ = lower;
  e.upper_ = upper;
  return e;
}

RevisionError RevisionError::MultipleHeads(const std::vector<std::string>& heads,
                                           const std::string& argument) {
  RevisionError e(Kind::kMultipleHeads,
                  "Multiple heads are present for given argument '" + argument +
                      "'; " + Join(heads, ", "));
  e.heads_ = heads;
  e.argument_ = argument;
  return e;
}

RevisionError RevisionError::Resolution(const std::string& message,
                                        const std::string& argument) {
  RevisionError e(Kind::kResolution, message);
  e.argument_ = argument;
  return e;
}

std::string FormatRevisionError(const RevisionError& error,
                                const RevisionErrorWording& w) {
  switch (error.kind()) {
    case RevisionError::Kind::kRangeNotAncestor: {
      std::string start = w.has_start ? w.start : error.lower();
      std::string end = w.has_end ? w.end : error.upper();
      std::string text = w.ancestor.empty()
                             ? "Requested range %(start)s:%(end)s does not refer to "
                               "ancestor/descendant revisions along the same branch"
                             : w.ancestor;
      text = ReplaceAll(text, "%(start)s", start);
      return ReplaceAll(text, "%(end)s", end);
    }
    case RevisionError::Kind::kMultipleHeads: {
      std::string text =
          w.multiple_heads.empty()
              ? "Multiple head revisions are present for given argument "
                "'%(head_arg)s'; please specify a specific target revision, "
                "'<branchname>@%(head_arg)s' to narrow to a specific head, or "
                "'heads' for all heads"
              : w.multiple_heads;
      std::string head_arg = w.has_end && !w.end.empty() ? w.end : error.argument();
      return ReplaceAll(text, "%(head_arg)s", head_arg);
    }
    case RevisionError::Kind::kResolution:
      return w.resolution.empty()
                 ? "Can't locate revision identified by '" + error.argument() + "'"
                 : w.resolution;
    case RevisionError::Kind::kGeneric:
      break;
  }
  return error.what();
}

}  // namespace retort
