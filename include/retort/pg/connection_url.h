#pragma once
#include <string>

namespace retort {

/// Turns a database URL as users write it into a libpq keyword/value
/// conninfo string ("host=... port=... dbname=..."). Accepts libpq URIs
/// (postgresql://, postgres://), keyword strings, and SQLAlchemy URLs whose
/// scheme names a driver (postgresql+psycopg2://, postgresql+asyncpg://...):
/// the "+driver" part is dropped. Every parameter (sslmode, sslrootcert,
/// connect_timeout, options, ...) reaches libpq unchanged, because libpq's
/// own parser (PQconninfoParse) reads the input. "" stays "" (libpq then
/// uses its PG* environment variables).
/// Throws Error(kUnreachable) for an unknown scheme or a string libpq
/// rejects; the message never contains the password.
std::string ToLibpqConninfo(const std::string& url);

/// Replaces every password in `text` with "***": the userinfo password of a
/// URI (`user:pw@`), a `password=` / `sslpassword=` keyword (quoted values
/// included) and a `?password=` / `&password=` query parameter. When
/// `known_password` is not empty, every literal occurrence of it is masked
/// too, so error texts that echo the conninfo in other shapes leak nothing.
std::string MaskPassword(const std::string& text,
                         const std::string& known_password = {});

/// The password a URL or conninfo carries ("" if none), for MaskPassword.
/// Never throws: an unparsable URL yields "".
std::string PasswordOf(const std::string& url);

/// A short description of the target for messages: "user@host:port/dbname"
/// ("postgres@127.0.0.1:5432/app"). Parts the URL leaves out are filled with
/// libpq's defaults (environment, then compiled-in). Never contains the
/// password; never throws (an unparsable URL gives "<invalid database URL>").
std::string DescribeTarget(const std::string& url);

}  // namespace retort
