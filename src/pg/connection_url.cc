#include "retort/pg/connection_url.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

#include "retort/common/error.h"

namespace retort {
namespace {

struct ConninfoFree {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
using ConninfoPtr = std::unique_ptr<PQconninfoOption, ConninfoFree>;

bool IsSchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' ||
         c == '-' || c == '.';
}

/// Length of a leading "scheme://" (0 if the text does not start with one).
size_t SchemeLength(const std::string& url) {
  if (url.empty() || !std::isalpha(static_cast<unsigned char>(url[0]))) {
    return 0;
  }
  size_t i = 1;
  while (i < url.size() && IsSchemeChar(url[i])) ++i;
  if (url.compare(i, 3, "://") != 0) return 0;
  return i + 3;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

/// Drops SQLAlchemy's "+driver" from the scheme; rejects schemes that are
/// not PostgreSQL's. Keyword strings pass through untouched.
std::string NormalizeScheme(const std::string& url) {
  size_t len = SchemeLength(url);
  if (len == 0) return url;
  std::string scheme = Lower(url.substr(0, len - 3));
  std::string base = scheme.substr(0, scheme.find('+'));
  if (base != "postgresql" && base != "postgres") {
    throw Error(ExitCode::kUnreachable,
                "unsupported database URL scheme '" + url.substr(0, len - 3) +
                    "'",
                "use postgresql://, a libpq keyword string, or a SQLAlchemy "
                "postgresql+<driver>:// URL");
  }
  // libpq accepts exactly these two lowercase prefixes.
  return base + "://" + url.substr(len);
}

/// The raw (still percent-encoded) password of a URI's userinfo, found
/// without libpq so that it can be masked even when libpq rejects the URI.
std::string RawUriPassword(const std::string& url) {
  size_t start = SchemeLength(url);
  if (start == 0) return {};
  size_t end = url.find_first_of("/?# \t\n", start);
  if (end == std::string::npos) end = url.size();
  size_t at = url.rfind('@', end);
  if (at == std::string::npos || at < start) return {};
  size_t colon = url.find(':', start);
  if (colon == std::string::npos || colon > at) return {};
  return url.substr(colon + 1, at - colon - 1);
}

ConninfoPtr Parse(const std::string& conninfo, std::string* error) {
  char* errmsg = nullptr;
  ConninfoPtr options(PQconninfoParse(conninfo.c_str(), &errmsg));
  if (!options) {
    if (error != nullptr) {
      *error = errmsg != nullptr ? errmsg : "out of memory";
      while (!error->empty() && std::isspace(static_cast<unsigned char>(
                                    error->back()))) {
        error->pop_back();
      }
    }
  }
  if (errmsg != nullptr) PQfreemem(errmsg);
  return options;
}

std::string OptionValue(const PQconninfoOption* options, const char* keyword) {
  for (const PQconninfoOption* o = options; o != nullptr && o->keyword; ++o) {
    if (std::string(o->keyword) == keyword) {
      return o->val != nullptr ? o->val : "";
    }
  }
  return {};
}

/// Quotes a conninfo value the way libpq's keyword parser reads it back.
std::string QuoteValue(const std::string& value) {
  if (!value.empty() && value.find_first_of(" \t\n\r\f\v'\\") ==
                            std::string::npos) {
    return value;
  }
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

/// Masks the userinfo password of every "scheme://user:pw@host" in text.
std::string MaskUriPasswords(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t sep = text.find("://", pos);
    if (sep == std::string::npos) break;
    size_t start = sep + 3;
    size_t end = text.find_first_of("/?# \t\r\n", start);
    if (end == std::string::npos) end = text.size();
    size_t at = text.rfind('@', end == 0 ? 0 : end - 1);
    size_t colon = text.find(':', start);
    if (at != std::string::npos && at >= start && colon != std::string::npos &&
        colon < at) {
      out.append(text, pos, colon + 1 - pos);
      out += "***";
      pos = at;  // keep "@host..."
    } else {
      out.append(text, pos, start - pos);
      pos = start;
    }
  }
  out.append(text, pos, std::string::npos);
  return out;
}

/// Masks `password=...`, `sslpassword=...` and `PGPASSWORD=...`, as
/// conninfo keywords (optionally quoted) or URI query parameters.
std::string MaskKeywordPasswords(const std::string& text) {
  static const char* const kKeys[] = {"sslpassword", "pgpassword",
                                      "password"};
  const std::string lower = Lower(text);
  std::string out;
  size_t pos = 0;   // first byte of text not yet copied to out
  size_t scan = 0;  // where to look for the next key
  while (scan < text.size()) {
    size_t best = std::string::npos;
    size_t key_len = 0;
    for (const char* key : kKeys) {
      size_t k = lower.find(key, scan);
      while (k != std::string::npos && k > 0 && IsWordChar(text[k - 1])) {
        k = lower.find(key, k + 1);
      }
      if (k != std::string::npos && (k < best)) {
        best = k;
        key_len = std::char_traits<char>::length(key);
      }
    }
    if (best == std::string::npos) break;
    size_t i = best + key_len;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= text.size() || text[i] != '=') {
      scan = best + key_len;
      continue;
    }
    ++i;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const bool in_query = best > 0 && (text[best - 1] == '?' ||
                                       text[best - 1] == '&');
    size_t value_end = i;
    if (i < text.size() && text[i] == '\'') {
      value_end = i + 1;
      while (value_end < text.size() && text[value_end] != '\'') {
        if (text[value_end] == '\\' && value_end + 1 < text.size()) {
          ++value_end;
        }
        ++value_end;
      }
      if (value_end < text.size()) ++value_end;  // the closing quote
    } else {
      while (value_end < text.size() &&
             !std::isspace(static_cast<unsigned char>(text[value_end])) &&
             !(in_query && (text[value_end] == '&' || text[value_end] == '#'))) {
        ++value_end;
      }
    }
    out.append(text, pos, i - pos);
    if (value_end > i) out += "***";
    pos = value_end;
    scan = std::max(value_end, i);
  }
  out.append(text, pos, std::string::npos);
  return out;
}

std::string ReplaceAll(std::string text, const std::string& needle,
                       const std::string& replacement) {
  if (needle.empty()) return text;
  size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), replacement);
    pos += replacement.size();
  }
  return text;
}

}  // namespace

std::string ToLibpqConninfo(const std::string& url) {
  const std::string normalized = NormalizeScheme(url);
  std::string error;
  ConninfoPtr options = Parse(normalized, &error);
  if (!options) {
    std::string masked = MaskPassword(error, RawUriPassword(url));
    throw Error(ExitCode::kUnreachable,
                "invalid database URL " +
                    MaskPassword(url, RawUriPassword(url)) + ": " + masked);
  }
  std::string out;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (!out.empty()) out += ' ';
    out += o->keyword;
    out += '=';
    out += QuoteValue(o->val);
  }
  return out;
}

std::string MaskPassword(const std::string& text,
                         const std::string& known_password) {
  std::string out = MaskKeywordPasswords(MaskUriPasswords(text));
  return ReplaceAll(std::move(out), known_password, "***");
}

std::string PasswordOf(const std::string& url) {
  try {
    ConninfoPtr options = Parse(NormalizeScheme(url), nullptr);
    if (options) return OptionValue(options.get(), "password");
  } catch (const Error&) {
    // An unknown scheme: fall through to the raw userinfo.
  }
  return RawUriPassword(url);
}

std::string DescribeTarget(const std::string& url) {
  ConninfoPtr options;
  try {
    options = Parse(NormalizeScheme(url), nullptr);
  } catch (const Error&) {
  }
  if (!options) return "<invalid database URL>";
  ConninfoPtr defaults(PQconndefaults());
  auto value = [&](const char* keyword) {
    std::string v = OptionValue(options.get(), keyword);
    if (v.empty() && defaults) v = OptionValue(defaults.get(), keyword);
    return v;
  };
  std::string user = value("user");
  std::string host = OptionValue(options.get(), "host");
  if (host.empty()) host = OptionValue(options.get(), "hostaddr");
  if (host.empty() && defaults) host = OptionValue(defaults.get(), "host");
  if (host.empty()) host = "[local]";
  std::string port = value("port");
  std::string dbname = value("dbname");
  if (dbname.empty()) dbname = user;  // libpq's own rule
  std::string out;
  if (!user.empty()) out += user + "@";
  out += host;
  if (!port.empty()) out += ":" + port;
  out += "/" + dbname;
  return out;
}

}  // namespace retort
