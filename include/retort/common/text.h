#pragma once
#include <string>
#include <vector>

namespace retort {

/// Joins `parts` with `sep` ("a, b").
std::string Join(const std::vector<std::string>& parts, const std::string& sep);
/// Replaces every occurrence of `from` (non-empty) in `text` by `to`.
std::string ReplaceAll(std::string text, const std::string& from, const std::string& to);
/// Removes ASCII whitespace at both ends (Python's str.strip() on ASCII text).
std::string Strip(const std::string& text);
/// Removes ASCII whitespace at the end.
std::string StripRight(const std::string& text);
/// Splits on \n, \r\n and \r (Python's str.splitlines() on ASCII text).
std::vector<std::string> SplitLines(const std::string& text);
/// Splits on every occurrence of `sep` (Python's str.split(sep)).
std::vector<std::string> Split(const std::string& text, const std::string& sep);
bool StartsWith(const std::string& text, const std::string& prefix);
/// The first line of `text` without surrounding whitespace, with " …" when
/// more lines follow (a statement in one line of a report).
std::string FirstLine(const std::string& text);

}  // namespace retort
