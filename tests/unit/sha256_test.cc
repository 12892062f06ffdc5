#include "retort/common/sha256.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <string>

#include "retort/common/random_id.h"

namespace retort {
namespace {

std::string Digest(const std::string& text) {
  Sha256 d;
  d.Update(text);
  return d.HexDigest();
}

/// The reference the checksums were computed with before retort had its own.
std::string OpenSslDigest(const std::string& text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), out, &len, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 0xF];
  }
  return hex;
}

TEST(Sha256Test, StandardExamples) {
  // FIPS 180-4's examples (NIST CSRC "SHA256.pdf") and the empty message.
  EXPECT_EQ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Digest("abc"));
  EXPECT_EQ("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            Digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
  EXPECT_EQ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Digest(""));
  EXPECT_EQ("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
            Digest(std::string(1000000, 'a')));
}

TEST(Sha256Test, AgreesWithOpenSslAtEveryLengthAroundTheBlocksAndInAnySplit) {
  std::mt19937 rng(20261126);
  for (std::size_t n = 0; n <= 300; ++n) {
    std::string text(n, '\0');
    for (char& c : text) c = static_cast<char>(rng());
    const std::string want = OpenSslDigest(text);
    ASSERT_EQ(want, Digest(text)) << "length " << n;
    // Fed in pieces, as the checksum of a revision's files is.
    Sha256 pieces;
    std::size_t pos = 0;
    while (pos < n) {
      const std::size_t take = std::min<std::size_t>(n - pos, rng() % 70);
      pieces.Update(text.substr(pos, take));
      pos += take;
    }
    ASSERT_EQ(want, pieces.HexDigest()) << "length " << n << " in pieces";
  }
}

TEST(RandomIdTest, TwelveLowerCaseHexCharactersAndFresh) {
  const std::string a = NewRevisionId(), b = NewRevisionId();
  EXPECT_EQ(12u, a.size());
  EXPECT_EQ(std::string::npos, a.find_first_not_of("0123456789abcdef"));
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace retort
