#include "retort/pg/connection_url.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "retort/common/error.h"
#include "retort/db/lock_key.h"

namespace retort {
namespace {

TEST(ToLibpqConninfoTest, UriBecomesKeywords) {
  EXPECT_EQ("user=app password=s3cret dbname=appdb host=db.example port=5433",
            ToLibpqConninfo("postgresql://app:s3cret@db.example:5433/appdb"));
  EXPECT_EQ("host=localhost", ToLibpqConninfo("postgres://localhost"));
}

TEST(ToLibpqConninfoTest, SqlAlchemyDriverIsDropped) {
  const std::string want = "user=u dbname=d host=h port=5432";
  EXPECT_EQ(want, ToLibpqConninfo("postgresql+psycopg2://u@h:5432/d"));
  EXPECT_EQ(want, ToLibpqConninfo("postgresql+asyncpg://u@h:5432/d"));
  EXPECT_EQ(want, ToLibpqConninfo("postgresql+psycopg://u@h:5432/d"));
  EXPECT_EQ(want, ToLibpqConninfo("postgres+pg8000://u@h:5432/d"));
}

TEST(ToLibpqConninfoTest, QueryParametersReachLibpqUnchanged) {
  std::string out = ToLibpqConninfo(
      "postgresql+psycopg2://u@h/d?sslmode=verify-full"
      "&sslrootcert=/etc/ssl/root.crt&connect_timeout=7"
      "&application_name=deployer&options=-c%20search_path%3Dapp");
  EXPECT_NE(std::string::npos, out.find("sslmode=verify-full")) << out;
  EXPECT_NE(std::string::npos, out.find("sslrootcert=/etc/ssl/root.crt"));
  EXPECT_NE(std::string::npos, out.find("connect_timeout=7"));
  EXPECT_NE(std::string::npos, out.find("application_name=deployer"));
  // Percent-decoded by libpq, then quoted because of the space.
  EXPECT_NE(std::string::npos, out.find("options='-c search_path=app'"));
}

TEST(ToLibpqConninfoTest, KeywordStringsAndQuoting) {
  EXPECT_EQ("user=postgres dbname=postgres host=/tmp/pg port=5432",
            ToLibpqConninfo("host=/tmp/pg port=5432 dbname=postgres "
                            "user=postgres"));
  EXPECT_EQ("password='it\\'s a \\\\ secret' host=h",
            ToLibpqConninfo("host=h password='it\\'s a \\\\ secret'"));
  EXPECT_EQ("", ToLibpqConninfo(""));
}

TEST(ToLibpqConninfoTest, IpV6AndMultipleHosts) {
  EXPECT_EQ("dbname=d host=::1 port=5432",
            ToLibpqConninfo("postgresql://[::1]:5432/d"));
  EXPECT_EQ("dbname=d host=a,b port=5432,5433",
            ToLibpqConninfo("postgresql://a:5432,b:5433/d"));
}

TEST(ToLibpqConninfoTest, RejectsOtherSchemesAndGarbageWithoutPassword) {
  try {
    ToLibpqConninfo("mysql://root:hunter2@h/db");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kUnreachable, e.code());
    EXPECT_STREQ("unsupported database URL scheme 'mysql'", e.what());
  }
  try {
    ToLibpqConninfo("postgresql://u:hunter2@h/db?nosuchparam=1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(ExitCode::kUnreachable, e.code());
    EXPECT_STREQ(
        "invalid database URL postgresql://u:***@h/db?nosuchparam=1: "
        "invalid URI query parameter: \"nosuchparam\"",
        e.what());
  }
  try {
    ToLibpqConninfo("postgresql://u:bad%zzpw@h/db");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string::npos, std::string(e.what()).find("bad%zzpw"))
        << e.what();
    EXPECT_EQ(std::string::npos, std::string(e.what()).find("zzpw"))
        << e.what();
  }
  EXPECT_THROW(ToLibpqConninfo("just some words"), Error);
}

TEST(MaskPasswordTest, UriUserinfo) {
  EXPECT_EQ("postgresql://app:***@db:5432/app",
            MaskPassword("postgresql://app:s3cret@db:5432/app"));
  EXPECT_EQ("postgresql+psycopg2://app:***@db/app",
            MaskPassword("postgresql+psycopg2://app:s3cret@db/app"));
  EXPECT_EQ("postgresql://:***@db/app", MaskPassword("postgresql://:pw@db/app"));
  // An unencoded '@' in the password still masks all of it.
  EXPECT_EQ("postgres://u:***@host/db", MaskPassword("postgres://u:p@ss@host/db"));
  // No password: nothing to mask, ports survive.
  EXPECT_EQ("postgresql://app@db:5432/app",
            MaskPassword("postgresql://app@db:5432/app"));
  EXPECT_EQ("postgresql://db:5432/app?x=a@b",
            MaskPassword("postgresql://db:5432/app?x=a@b"));
  EXPECT_EQ("cannot use \"postgresql://u:***@h/d\" or postgres://v:***@i",
            MaskPassword("cannot use \"postgresql://u:one@h/d\" or "
                         "postgres://v:two@i"));
}

TEST(MaskPasswordTest, Keywords) {
  EXPECT_EQ("host=h password=*** user=u",
            MaskPassword("host=h password=s3cret user=u"));
  EXPECT_EQ("host=h password = *** user=u",
            MaskPassword("host=h password = s3cret user=u"));
  EXPECT_EQ("host=h password=*** user=u",
            MaskPassword("host=h password='s3 \\' cret' user=u"));
  EXPECT_EQ("PASSWORD=***", MaskPassword("PASSWORD=x"));
  EXPECT_EQ("sslpassword=*** PGPASSWORD=***",
            MaskPassword("sslpassword=k PGPASSWORD=y"));
  // Words that merely end in "password" are left alone.
  EXPECT_EQ("mypassword=visible", MaskPassword("mypassword=visible"));
  EXPECT_EQ("password authentication failed for user \"u\"",
            MaskPassword("password authentication failed for user \"u\""));
}

TEST(MaskPasswordTest, QueryParameter) {
  EXPECT_EQ("postgresql://u@h/d?password=***&sslmode=require",
            MaskPassword("postgresql://u@h/d?password=s3cret&sslmode=require"));
  EXPECT_EQ("postgresql://u@h/d?sslmode=require&password=***",
            MaskPassword("postgresql://u@h/d?sslmode=require&password=s3cret"));
}

TEST(MaskPasswordTest, KnownPasswordAnywhere) {
  EXPECT_EQ("FATAL: role \"***\" said *** twice ***",
            MaskPassword("FATAL: role \"s3cret\" said s3cret twice s3cret",
                         "s3cret"));
  EXPECT_EQ("nothing here", MaskPassword("nothing here", ""));
}

TEST(PasswordOfTest, AllForms) {
  EXPECT_EQ("p@ss", PasswordOf("postgresql://u:p%40ss@h/d"));
  EXPECT_EQ("pw", PasswordOf("postgresql+asyncpg://u:pw@h/d"));
  EXPECT_EQ("a b", PasswordOf("host=h password='a b'"));
  EXPECT_EQ("q", PasswordOf("postgresql://u@h/d?password=q"));
  EXPECT_EQ("", PasswordOf("postgresql://u@h/d"));
}

/// Unsets libpq's environment defaults for the test's lifetime (they fill
/// in what a URL leaves out), restoring them afterwards.
class WithoutLibpqEnvironment {
 public:
  WithoutLibpqEnvironment() {
    for (const char* name : {"PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE"}) {
      if (const char* v = std::getenv(name)) saved_.emplace_back(name, v);
      unsetenv(name);
    }
  }
  ~WithoutLibpqEnvironment() {
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
  }

 private:
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST(DescribeTargetTest, NeverShowsThePassword) {
  const WithoutLibpqEnvironment clean;  // a developer's shell may export PGDATABASE
  EXPECT_EQ("postgres@127.0.0.1:5432/app",
            DescribeTarget("postgresql://postgres:s3cret@127.0.0.1:5432/app"));
  EXPECT_EQ("postgres@127.0.0.1:5432/app",
            DescribeTarget("postgresql+psycopg2://postgres:s3cret@127.0.0.1:"
                           "5432/app?sslmode=require"));
  EXPECT_EQ("u@/tmp/x:6543/db",
            DescribeTarget("host=/tmp/x port=6543 user=u dbname=db "
                           "password=s3cret"));
  // The database defaults to the user name, as in libpq.
  EXPECT_EQ("u@h:5432/u", DescribeTarget("host=h port=5432 user=u"));
  EXPECT_EQ("<invalid database URL>", DescribeTarget("mysql://a:b@c/d"));
}

TEST(RunLockKeyTest, StableFnv1a) {
  // Values computed independently (Python) from the documented formula.
  EXPECT_EQ(-4472450268545538364LL, RunLockKey("public", "alembic_version"));
  EXPECT_EQ(-8330583732984392615LL, RunLockKey("meta", "retort_version"));
  EXPECT_EQ(3253643821u, LockKeyClassId(RunLockKey("public", "alembic_version")));
  EXPECT_EQ(1136535236u, LockKeyObjId(RunLockKey("public", "alembic_version")));
}

}  // namespace
}  // namespace retort
