// IsValidUtf8 and AppendSanitizedUtf8: well-formed UTF-8 as Unicode defines
// it (Table 3-7), checked against a plain reference decoder, and the
// replacement of invalid bytes by U+FFFD.
#include "adapter/base/utf8.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

std::string Sanitized(std::string_view text) {
  std::string out;
  AppendSanitizedUtf8(text, out);
  return out;
}

// Reference: decode code points the slow, obvious way and apply the rules of
// well-formedness one by one.
bool ReferenceIsValid(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<std::uint8_t>(text[i]);
    std::size_t length;
    std::uint32_t code_point;
    if (lead < 0x80) {
      length = 1;
      code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto byte = static_cast<std::uint8_t>(text[i + k]);
      if ((byte & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (byte & 0x3F);
    }
    static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[length]) return false;                 // overlong
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return false;  // surrogate
    if (code_point > 0x10FFFF) return false;
    i += length;
  }
  return true;
}

TEST_CASE("IsValidUtf8 accepts ASCII, the empty string and NUL bytes") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("GET /index.html HTTP/1.1"));
  CHECK(IsValidUtf8(std::string_view("a\0b", 3)));
  CHECK(IsValidUtf8("\x7F"));
}

TEST_CASE("IsValidUtf8 accepts the first and last code point of every sequence length") {
  CHECK(IsValidUtf8("\xC2\x80"));          // U+0080
  CHECK(IsValidUtf8("\xDF\xBF"));          // U+07FF
  CHECK(IsValidUtf8("\xE0\xA0\x80"));      // U+0800
  CHECK(IsValidUtf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
  CHECK(IsValidUtf8("\xEE\x80\x80"));      // U+E000, just above them
  CHECK(IsValidUtf8("\xEF\xBF\xBF"));      // U+FFFF
  CHECK(IsValidUtf8("\xF0\x90\x80\x80"));  // U+10000
  CHECK(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  CHECK(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // café € 😀
}

TEST_CASE("IsValidUtf8 rejects stray continuation bytes and bytes that never occur") {
  CHECK_FALSE(IsValidUtf8("\x80"));
  CHECK_FALSE(IsValidUtf8("\xBF"));
  CHECK_FALSE(
      IsValidUtf8("a\x80"
                  "b"));
  for (int byte : {0xC0, 0xC1, 0xF5, 0xF8, 0xFC, 0xFE, 0xFF}) {
    CAPTURE(byte);
    CHECK_FALSE(IsValidUtf8(std::string(1, static_cast<char>(byte)) + "\x80\x80\x80"));
  }
}

TEST_CASE("IsValidUtf8 rejects overlong encodings") {
  CHECK_FALSE(IsValidUtf8("\xC0\xAF"));          // '/' in two bytes
  CHECK_FALSE(IsValidUtf8("\xC1\xBF"));          // U+007F in two bytes
  CHECK_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // '/' in three bytes
  CHECK_FALSE(IsValidUtf8("\xE0\x9F\xBF"));      // U+07FF in three bytes
  CHECK_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));  // '/' in four bytes
  CHECK_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in four bytes
}

TEST_CASE("IsValidUtf8 rejects UTF-16 surrogates") {
  CHECK_FALSE(IsValidUtf8("\xED\xA0\x80"));              // U+D800
  CHECK_FALSE(IsValidUtf8("\xED\xAF\xBF"));              // U+DBFF
  CHECK_FALSE(IsValidUtf8("\xED\xB0\x80"));              // U+DC00
  CHECK_FALSE(IsValidUtf8("\xED\xBF\xBF"));              // U+DFFF
  CHECK_FALSE(IsValidUtf8("\xED\xA0\xBD\xED\xB8\x80"));  // a CESU-8 surrogate pair
}

TEST_CASE("IsValidUtf8 rejects code points past U+10FFFF") {
  CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  CHECK_FALSE(IsValidUtf8("\xF7\xBF\xBF\xBF"));  // U+1FFFFF
}

TEST_CASE("IsValidUtf8 rejects sequences truncated by the end or by another character") {
  CHECK_FALSE(IsValidUtf8("\xC3"));
  CHECK_FALSE(IsValidUtf8("\xE2\x82"));
  CHECK_FALSE(IsValidUtf8("\xF0\x9F\x98"));
  CHECK_FALSE(
      IsValidUtf8("\xE2"
                  "a"));
  CHECK_FALSE(
      IsValidUtf8("\xE2\x82"
                  "a"));
  CHECK_FALSE(
      IsValidUtf8("\xF0\x9F\x98"
                  "a"));
  CHECK_FALSE(IsValidUtf8("\xC3\xC3\xA9"));
}

TEST_CASE("IsValidUtf8 finds an invalid byte at every offset around its 8-byte ASCII fast path") {
  for (std::size_t length = 1; length <= 24; ++length) {
    for (std::size_t bad = 0; bad < length; ++bad) {
      std::string text(length, 'a');
      text[bad] = '\xFF';
      CAPTURE(length);
      CAPTURE(bad);
      CHECK_FALSE(IsValidUtf8(text));
    }
    // A valid multi-byte character straddling an 8-byte boundary.
    std::string text(length, 'a');
    text += "\xE2\x82\xAC";
    text += std::string(length, 'b');
    CHECK(IsValidUtf8(text));
  }
}

TEST_CASE(
    "IsValidUtf8 agrees with a reference decoder on every 1- and 2-byte string "
    "and on 4-byte strings built from boundary bytes") {
  // ASCII, continuation bytes at the edges of the ranges leads restrict them
  // to, and bytes that are never continuations.
  const unsigned char tails[] = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC2, 0xFF};
  char bytes[4];
  int mismatches = 0;
  for (int a = 0; a < 256; ++a) {
    bytes[0] = static_cast<char>(a);
    const std::string_view one(bytes, 1);
    if (IsValidUtf8(one) != ReferenceIsValid(one)) ++mismatches;
    for (int b = 0; b < 256; ++b) {
      bytes[1] = static_cast<char>(b);
      const std::string_view two(bytes, 2);
      if (IsValidUtf8(two) != ReferenceIsValid(two)) ++mismatches;
      for (unsigned char c : tails) {
        bytes[2] = static_cast<char>(c);
        for (unsigned char d : tails) {
          bytes[3] = static_cast<char>(d);
          const std::string_view four(bytes, 4);
          if (IsValidUtf8(four) != ReferenceIsValid(four) && ++mismatches <= 5) {
            FAIL_CHECK("disagreement on bytes ", a, " ", b, " ", int{c}, " ", int{d});
          }
        }
      }
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("AppendSanitizedUtf8 copies valid text unchanged and appends to what `out` holds") {
  std::string out = "prefix:";
  AppendSanitizedUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80", out);
  CHECK(out == "prefix:caf\xC3\xA9 \xF0\x9F\x98\x80");
  CHECK(Sanitized("") == "");
}

TEST_CASE("AppendSanitizedUtf8 replaces a lone invalid byte with one U+FFFD") {
  CHECK(Sanitized("a\xFF"
                  "b") == "a" + std::string(kReplacement) + "b");
  CHECK(Sanitized("\xFF\xFF") == std::string(kReplacement) + std::string(kReplacement));
}

TEST_CASE("AppendSanitizedUtf8 replaces a truncated character with one U+FFFD") {
  CHECK(Sanitized("x\xE2\x82") == "x" + std::string(kReplacement));
  CHECK(Sanitized("\xF0\x9F\x98"
                  "a") == std::string(kReplacement) + "a");
  // The next character after the truncated one survives.
  CHECK(Sanitized("\xE2\x82\xC3\xA9") == std::string(kReplacement) + "\xC3\xA9");
}

TEST_CASE(
    "AppendSanitizedUtf8 replaces stray continuation bytes, overlongs, surrogates and "
    "values past U+10FFFF with one U+FFFD each") {
  const std::string r(kReplacement);
  CHECK(Sanitized("\x80\x80\x80") == r);
  CHECK(Sanitized("a\xC0\xAF"
                  "b") == "a" + r + "b");
  CHECK(Sanitized("\xED\xA0\x80") == r);
  CHECK(Sanitized("\xF4\x90\x80\x80") == r);
  CHECK(Sanitized("\xF8\x88\x80\x80\x80") == r);
}

TEST_CASE("AppendSanitizedUtf8 always produces valid UTF-8 and changes only invalid input") {
  char bytes[3];
  std::string out;
  for (int a = 0; a < 256; ++a) {
    bytes[0] = static_cast<char>(a);
    for (int b = 0; b < 256; ++b) {
      bytes[1] = static_cast<char>(b);
      for (unsigned char c : {0x41, 0x80, 0xBF, 0xC3, 0xFF}) {
        bytes[2] = static_cast<char>(c);
        const std::string_view text(bytes, 3);
        out.clear();
        AppendSanitizedUtf8(text, out);
        const bool valid = IsValidUtf8(text);
        if (!IsValidUtf8(out) || (valid && out != text) ||
            (!valid && out.find(kReplacement) == std::string::npos)) {
          FAIL("bad sanitization of bytes ", a, " ", b, " ", int{c});
        }
      }
    }
  }
}

}  // namespace
}  // namespace metrics_adapter
