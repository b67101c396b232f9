// LineFramer: lines across chunks, over-long lines, CR and empty-line
// policies, the end of the input, and resets.
#include "adapter/sources/line_framer.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {
namespace {

using Lines = std::vector<std::string>;

// Feeds `input` in chunks of `chunk` bytes, then ends the input; collects the
// lines (copied at once: views live until the next call) and the drops.
struct Framed {
  Lines lines;
  std::size_t too_long = 0;
};

Framed Frame(LineFramer& framer, std::string_view input, std::size_t chunk, bool finish = true) {
  Framed out;
  std::vector<std::string_view> views;
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    views.clear();
    out.too_long += framer.Frame(input.substr(pos, chunk), views);
    for (std::string_view line : views) out.lines.emplace_back(line);
  }
  if (finish) {
    views.clear();
    framer.Finish(views);
    for (std::string_view line : views) out.lines.emplace_back(line);
  }
  return out;
}

TEST_CASE("lines are the same for every chunk size") {
  const std::string input = "alpha\nbeta\n\ngamma delta\nlast";
  for (std::size_t chunk : {1, 2, 3, 5, 7, 64}) {
    CAPTURE(chunk);
    LineFramer framer({});
    const Framed framed = Frame(framer, input, chunk);
    CHECK(framed.lines == Lines{"alpha", "beta", "", "gamma delta", "last"});
    CHECK(framed.too_long == 0);
  }
}

TEST_CASE("a partial line is held until its newline, or handed over when the input ends") {
  LineFramer framer({});
  std::vector<std::string_view> lines;
  CHECK(framer.Frame("abc", lines) == 0);
  CHECK(lines.empty());
  CHECK(framer.holding_line());
  CHECK(framer.Frame("def\nxy", lines) == 0);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "abcdef");
  lines.clear();
  framer.Finish(lines);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "xy");
  CHECK_FALSE(framer.holding_line());
  lines.clear();
  framer.Finish(lines);  // nothing held any more
  CHECK(lines.empty());
}

TEST_CASE("CR: kept by default, one stripped before LF with strip_cr") {
  const std::string input = "dos\r\n\r\nbare\r\r\nend\r";
  LineFramer keep({});
  CHECK(Frame(keep, input, 4).lines == Lines{"dos\r", "\r", "bare\r\r", "end\r"});
  LineFramer strip({.strip_cr = true});
  CHECK(Frame(strip, input, 4).lines == Lines{"dos", "", "bare\r", "end"});
}

TEST_CASE("skip_empty leaves out empty lines, also those that were a lone CR") {
  LineFramer framer({.strip_cr = true, .skip_empty = true});
  CHECK(Frame(framer, "a\n\n\r\nb\n", 2).lines == Lines{"a", "b"});
}

TEST_CASE("an over-long line is dropped and counted once, in any chunking") {
  const std::string input =
      "short\n" + std::string(30, 'x') + "\nnext\n0123456789\n" + std::string(11, 'y') + "\nlast\n";
  for (std::size_t chunk : {1, 3, 4, 11, 1000}) {
    CAPTURE(chunk);
    LineFramer framer({.max_line_bytes = 10});
    const Framed framed = Frame(framer, input, chunk);
    CHECK(framed.lines == Lines{"short", "next", "0123456789", "last"});
    CHECK(framed.too_long == 2);
  }
}

TEST_CASE("the limit counts a CR before the LF; stripping comes after") {
  LineFramer framer({.max_line_bytes = 3, .strip_cr = true});
  const Framed framed = Frame(framer, "abc\r\nab\r\n", 100);
  CHECK(framed.lines == Lines{"ab"});
  CHECK(framed.too_long == 1);
}

TEST_CASE("an over-long unterminated line is counted when it outgrows the limit, not handed over") {
  LineFramer framer({.max_line_bytes = 4});
  std::vector<std::string_view> lines;
  CHECK(framer.Frame("abc", lines) == 0);
  CHECK(framer.Frame("de", lines) == 1);   // now 5 bytes: known too long
  CHECK_FALSE(framer.holding_line());      // nothing of it is kept
  CHECK(framer.Frame("fgh", lines) == 0);  // still the same line
  framer.Finish(lines);
  CHECK(lines.empty());
  CHECK(framer.Frame("ok\n", lines) == 0);  // Finish started afresh
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "ok");
}

TEST_CASE("SkipRestOfLine skips up to the next newline without counting") {
  LineFramer framer({});
  framer.SkipRestOfLine();
  const Framed framed = Frame(framer, "tail of a line\nwhole\n", 5);
  CHECK(framed.lines == Lines{"whole"});
  CHECK(framed.too_long == 0);
}

TEST_CASE("Reset drops the held line and any skipping") {
  LineFramer framer({.max_line_bytes = 4});
  std::vector<std::string_view> lines;
  framer.Frame("ab", lines);
  framer.Reset();
  CHECK_FALSE(framer.holding_line());
  CHECK(framer.Frame("cd\n", lines) == 0);
  framer.Frame("too long", lines);
  framer.Reset();
  framer.Frame("ef\n", lines);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "cd");
  CHECK(lines[1] == "ef");
}

TEST_CASE("a line completing a held one stays valid while later lines of the chunk are added") {
  LineFramer framer({});
  std::vector<std::string_view> lines;
  framer.Frame("first ha", lines);
  framer.Frame("lf\nsecond\nthird\n", lines);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "first half");
  CHECK(lines[1] == "second");
  CHECK(lines[2] == "third");
}

// Octet counting (RFC 6587): `LEN SP MSG` frames.
LineFramer::Options Octets(std::size_t max = 64) {
  return {.framing = LineFramer::Framing::kOctetCounting,
          .max_line_bytes = max,
          .strip_cr = true,
          .skip_empty = true};
}

TEST_CASE("octet-counted frames are the same for every chunk size, newlines inside kept") {
  const std::string input = "5 hello11 two\nlines!\n4 abc\n\n3 x\r\n";
  for (std::size_t chunk = 1; chunk <= input.size(); ++chunk) {
    CAPTURE(chunk);
    LineFramer framer(Octets());
    const Framed out = Frame(framer, input, chunk, /*finish=*/false);
    CHECK(out.lines == Lines{"hello", "two\nlines!", "abc", "x"});
    CHECK(out.too_long == 0);
    CHECK_FALSE(framer.broken());
    CHECK_FALSE(framer.holding_line());
  }
}

TEST_CASE("an octet-counted frame over the limit is skipped and counted, the next one read") {
  const std::string input = "10 0123456789" + std::string("3 abc");
  for (std::size_t chunk = 1; chunk <= input.size(); ++chunk) {
    CAPTURE(chunk);
    LineFramer framer(Octets(5));
    const Framed out = Frame(framer, input, chunk);
    CHECK(out.lines == Lines{"abc"});
    CHECK(out.too_long == 1);
  }
}

TEST_CASE("an octet-counted length that is not a number breaks the stream") {
  for (std::string_view bad : {"x", "5x hello", "0 ", " 5 hello", "12345678901 x", "3 abc<13>hi"}) {
    CAPTURE(bad);
    LineFramer framer(Octets());
    const Framed out = Frame(framer, bad, bad.size(), /*finish=*/false);
    CHECK(framer.broken());
    CHECK(out.lines == (bad == "3 abc<13>hi" ? Lines{"abc"} : Lines{}));
    framer.Reset();
    CHECK_FALSE(framer.broken());
  }
}

TEST_CASE("an octet-counted frame cut short is held, then dropped at the end of the input") {
  LineFramer framer(Octets());
  Framed out = Frame(framer, "10 short", 8, /*finish=*/false);
  CHECK(out.lines.empty());
  CHECK(framer.holding_line());
  out = Frame(framer, "12", 2, /*finish=*/false);
  CHECK(framer.holding_line());
  out = Frame(framer, "", 1);
  CHECK(out.lines.empty());
  CHECK_FALSE(framer.holding_line());
}

TEST_CASE("auto framing decides by the first byte, again after a reset") {
  LineFramer framer({.framing = LineFramer::Framing::kAuto, .skip_empty = true});
  CHECK(Frame(framer, "3 abc4 defg", 4).lines == Lines{"abc", "defg"});
  framer.Reset();
  CHECK(Frame(framer, "<13>a line\n12 not a frame\n", 5).lines ==
        Lines{"<13>a line", "12 not a frame"});
}

}  // namespace
}  // namespace metrics_adapter
