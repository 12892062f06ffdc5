#include "retort/common/text.h"

namespace retort {
namespace {
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
}  // namespace

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  // Sized first: listings join a revision's branch labels, dozens on a
  // large graph, and growing the string as it goes reallocated it each time.
  size_t size = parts.empty() ? 0 : sep.size() * (parts.size() - 1);
  for (const std::string& p : parts) size += p.size();
  std::string out;
  out.reserve(size);
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

std::string Strip(const std::string& text) {
  size_t b = 0, e = text.size();
  while (b < e && IsSpace(text[b])) ++b;
  while (e > b && IsSpace(text[e - 1])) --e;
  return text.substr(b, e - b);
}

std::string StripRight(const std::string& text) {
  size_t e = text.size();
  while (e > 0 && IsSpace(text[e - 1])) --e;
  return text.substr(0, e);
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::string cur;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n' || c == '\r') {
      lines.push_back(cur);
      cur.clear();
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  return lines;
}

std::vector<std::string> Split(const std::string& text, const std::string& sep) {
  std::vector<std::string> out;
  size_t start = 0, pos;
  while ((pos = text.find(sep, start)) != std::string::npos) {
    out.push_back(text.substr(start, pos - start));
    start = pos + sep.size();
  }
  out.push_back(text.substr(start));
  return out;
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

std::string FirstLine(const std::string& text) {
  std::string s = Strip(text);
  size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl) + " …";
}

}  // namespace retort
