#include "adapter/sources/tcp_framing.h"

#include <algorithm>
#include <charconv>
#include <utility>

namespace metrics_adapter {
namespace {

// Bound on a redis reply line ("+OK", "$1234"): no reply needs more.
constexpr std::size_t kMaxLineBytes = std::size_t{64} * 1024;

// Takes one line ending in \n from `data` into `line` (without the \n or a
// \r before it). Returns true when the line is complete; consumes what it used.
bool TakeLine(std::string_view* data, std::string* line) {
  std::size_t nl = data->find('\n');
  if (nl == std::string_view::npos) {
    line->append(*data);
    data->remove_prefix(data->size());
    return false;
  }
  line->append(data->substr(0, nl));
  data->remove_prefix(nl + 1);
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

}  // namespace

TcpReplyReader::TcpReplyReader(TcpFraming framing, std::string terminator,
                               std::size_t max_body_bytes, std::string peer, FetchResult* result)
    : framing_(framing),
      terminator_(std::move(terminator)),
      max_(max_body_bytes),
      peer_(std::move(peer)),
      result_(result) {}

Feed TcpReplyReader::Consume(std::string_view data, bool eof) {
  Feed f = Feed::kFailed;
  switch (framing_) {
    case TcpFraming::kUntilClose:
      f = ConsumeUntilClose(data, eof);
      break;
    case TcpFraming::kUntilTerminator:
      f = ConsumeUntilTerminator(data, eof);
      break;
    case TcpFraming::kRedisBulk:
      f = ConsumeRedis(data, eof);
      break;
  }
  if (f == Feed::kMore && eof) {
    result_->Fail("protocol", "connection closed by " + peer_);
    return Feed::kFailed;
  }
  return f;
}

void TcpReplyReader::Finish() {
  // The terminator or redis' final CRLF may have taken the body past max_
  // before being cut off; over_ alone covers kUntilClose.
  if (result_->body.size() > max_) {
    over_ = true;
    result_->body.resize(max_);
  }
  if (over_) {
    result_->FailTooLarge(max_);
  } else {
    result_->ok = true;
  }
}

bool TcpReplyReader::Append(std::string_view data, std::size_t limit) {
  if (result_->AppendBody(data, limit)) return true;
  over_ = true;
  return false;
}

Feed TcpReplyReader::Failed(std::string error) {
  result_->Fail("protocol", std::move(error));
  return Feed::kFailed;
}

Feed TcpReplyReader::ConsumeUntilClose(std::string_view data, bool eof) {
  if (!Append(data, max_)) return Feed::kDone;
  return eof ? Feed::kDone : Feed::kMore;
}

Feed TcpReplyReader::ConsumeUntilTerminator(std::string_view data, bool eof) {
  if (terminator_.empty()) return Failed("framing until terminator without a terminator");
  // The terminator is received into the body and cut off at the end, so the
  // body may briefly hold max + terminator bytes. A cut-off body that happens
  // to end like the terminator is still cut off.
  if (!Append(data, max_ + terminator_.size())) return Feed::kDone;
  std::string& body = result_->body;
  if (body.ends_with(terminator_)) {
    body.resize(body.size() - terminator_.size());
    return Feed::kDone;
  }
  if (!eof) return Feed::kMore;
  return Failed("connection closed by " + peer_ + " before the terminator \"" +
                Printable(terminator_, 40) + "\"");
}

// Reads reply lines until a bulk header "$<n>": skips simple strings, fails
// on anything else. kMore while the header is incomplete.
Feed TcpReplyReader::ReadRedisHeader(std::string_view* data, bool eof) {
  while (!in_bulk_) {
    if (!TakeLine(data, &line_)) {
      if (line_.size() > kMaxLineBytes) return Failed("redis: reply line too long");
      return eof ? Failed("redis: connection closed before the reply") : Feed::kMore;
    }
    std::string_view line = line_;
    if (line.empty()) return Failed("redis: empty reply line");
    const char type = line.front();
    line.remove_prefix(1);
    if (type == '+') {  // "+OK" to an AUTH or SELECT sent first
      line_.clear();
      continue;
    }
    if (type == '-') return Failed("redis: " + Printable(line, 200));
    if (type != '$') {
      return Failed("redis: expected a bulk reply, got \"" + Printable(line_, 40) + "\"");
    }
    std::int64_t length = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), length);
    if (ec != std::errc() || end != line.data() + line.size() || length < -1) {
      return Failed("redis: bad bulk length \"" + Printable(line_, 40) + "\"");
    }
    if (length == -1) return Failed("redis: nil reply");
    remaining_ = static_cast<std::uint64_t>(length) + 2;  // payload + CRLF
    in_bulk_ = true;
  }
  return Feed::kMore;
}

Feed TcpReplyReader::ConsumeRedis(std::string_view data, bool eof) {
  if (Feed f = ReadRedisHeader(&data, eof); !in_bulk_) return f;
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size()));
  remaining_ -= n;
  // The final CRLF goes to the body too and is checked and cut at the end;
  // room for it, so that a payload of exactly max bytes is not over.
  if (!Append(data.substr(0, n), max_ + 2)) return Feed::kDone;
  if (remaining_ == 0) {
    std::string& body = result_->body;
    if (!body.ends_with("\r\n")) return Failed("redis: bulk reply not terminated by CRLF");
    body.resize(body.size() - 2);
    return Feed::kDone;
  }
  return eof ? Failed("redis: connection closed inside the bulk reply") : Feed::kMore;
}

}  // namespace metrics_adapter
