#include "adapter/sources/positions.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>

#include "adapter/base/diagnostics.h"
#include "adapter/base/strings.h"
#include "adapter/base/utf8.h"
#include "adapter/base/yaml_reader.h"

namespace metrics_adapter {
namespace {

// As many head bytes as the tailer remembers (and passes to Commit).
constexpr std::uint32_t kMaxFingerprintBytes = 64;
constexpr std::int64_t kVersion = 1;

// `text` as a JSON string. Invalid UTF-8 (a path is bytes) is replaced by
// U+FFFD: such a path then names nothing, which only matters for a file no
// tailer has open (its position is dropped at the next save).
void AppendJsonString(std::string_view text, std::string& out) {
  std::string valid;
  if (!IsValidUtf8(text)) {
    AppendSanitizedUtf8(text, valid);
    text = valid;
  }
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string ErrorText(std::string_view step, const std::string& path, int err) {
  return std::string(step) + " " + path + ": " + std::generic_category().message(err);
}

// A decimal or hexadecimal unsigned number held in a string field (device,
// inode and fingerprint may not fit a JSON reader's signed 64 bits).
std::optional<std::uint64_t> UnsignedField(YamlMap& map, std::string_view key, int base,
                                           Diagnostics& diags) {
  const std::optional<std::string> text = map.String(key, Required::kYes);
  if (!text) return std::nullopt;
  std::uint64_t value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value, base);
  if (text->empty() || ec != std::errc() || ptr != end) {
    diags.Error(map.PositionOfKey(key),
                Quoted(key) + (base == 16 ? " must be hexadecimal digits" : " must be digits"));
    return std::nullopt;
  }
  return value;
}

std::optional<SavedPosition> ReadPosition(const YAML::Node& node, const std::string& file,
                                          Diagnostics& diags) {
  YamlMap map(node, file, diags, "position");
  if (!map.valid()) return std::nullopt;
  SavedPosition saved;
  saved.path = map.String("path", Required::kYes).value_or("");
  const auto device = UnsignedField(map, "device", 10, diags);
  const auto inode = UnsignedField(map, "inode", 10, diags);
  const auto fingerprint = UnsignedField(map, "fingerprint", 16, diags);
  const auto offset = map.Integer("offset", Required::kYes);
  const auto bytes = map.Integer("fingerprint_bytes", Required::kYes);
  map.RejectUnknownKeys();
  if (offset && *offset < 0) diags.Error(map.PositionOfKey("offset"), "\"offset\" is negative");
  if (bytes && (*bytes < 0 || *bytes > kMaxFingerprintBytes)) {
    diags.Error(map.PositionOfKey("fingerprint_bytes"),
                "\"fingerprint_bytes\" must be between 0 and 64");
  }
  if (!device || !inode || !fingerprint || !offset || !bytes || diags.HasErrors()) {
    return std::nullopt;
  }
  saved.key = FileKey{*device, *inode};
  saved.offset = static_cast<off_t>(*offset);
  saved.fingerprint_bytes = static_cast<std::uint32_t>(*bytes);
  saved.fingerprint = *fingerprint;
  return saved;
}

// Whether `path` names the file `key` now.
bool Names(const std::string& path, const FileKey& key) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && FileKey{st.st_dev, st.st_ino} == key;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Writes `text` to `path` so that `path` holds the old or the new text after
// a crash at any point: a temporary file in the same directory, fsync'ed,
// renamed over `path`; then the directory is fsync'ed to make the rename last.
bool WriteAtomically(const std::string& path, std::string_view text, std::string* error) {
  const std::string temp = path + ".tmp";
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = ErrorText("cannot create", temp, errno);
    return false;
  }
  const bool written = WriteAll(fd, text) && fsync(fd) == 0;
  const int write_errno = errno;
  if (close(fd) != 0 || !written) {
    *error = ErrorText("cannot write", temp, written ? errno : write_errno);
    unlink(temp.c_str());
    return false;
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    *error = ErrorText("cannot rename to", path, errno);
    unlink(temp.c_str());
    return false;
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || fsync(dir_fd) != 0) {
    *error = ErrorText("cannot sync directory", dir, errno);
    if (dir_fd >= 0) close(dir_fd);
    return false;
  }
  close(dir_fd);
  return true;
}

}  // namespace

std::uint64_t Fingerprint(std::string_view head) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : head) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

// One source's seam: forwards to Positions under the source's name.
class Positions::SourceHook : public TailerPositions {
 public:
  SourceHook(Positions* positions, std::string source)
      : positions_(positions), source_(std::move(source)) {}
  ~SourceHook() override { positions_->CloseAll(source_); }

  std::optional<off_t> ResumeOffset(int fd, const FileKey& key, std::string_view) override {
    return positions_->ResumeOffset(source_, fd, key);
  }
  void Commit(const FileKey& key, std::string_view path, off_t offset,
              std::string_view head) override {
    positions_->Commit(source_, key, path, offset, head);
  }
  void Close(const FileKey& key) override { positions_->Close(source_, key); }

 private:
  Positions* positions_;
  std::string source_;
};

Positions::Positions(std::string path, PositionsEvents* events)
    : path_(std::move(path)), events_(events) {}

Positions::~Positions() = default;

std::string Positions::Load() {
  struct stat st;
  if (stat(path_.c_str(), &st) != 0 && errno == ENOENT) return "";
  Diagnostics diags;
  std::map<std::string, Entries, std::less<>> loaded;
  bool clean = false;
  if (std::optional<YAML::Node> root = LoadYamlFile(path_, diags)) {
    YamlMap top(*root, path_, diags, "positions file");
    if (top.valid()) {
      if (top.Integer("version", Required::kYes).value_or(kVersion) != kVersion) {
        diags.Error(top.PositionOfKey("version"), "unknown \"version\" (known: 1)");
      }
      clean = top.Bool("clean_shutdown", Required::kYes).value_or(false);
      const YAML::Node sources = top.Node("sources", Required::kYes);
      top.RejectUnknownKeys();
      if (sources.IsDefined() && !sources.IsMap()) {
        diags.Error(PositionOf(path_, sources), "\"sources\" must map source names to lists");
      }
      for (const auto& source : sources.IsMap() ? sources : YAML::Node()) {
        if (!source.second.IsSequence()) {
          diags.Error(PositionOf(path_, source.second), "a source's positions must be a list");
          continue;
        }
        Entries& entries = loaded[source.first.Scalar()];
        for (const YAML::Node& node : source.second) {
          std::optional<SavedPosition> saved = ReadPosition(node, path_, diags);
          if (saved) entries[saved->key] = Entry{std::move(*saved), false, true};
        }
      }
    }
  }
  if (diags.HasErrors()) return diags.Format();
  std::lock_guard lock(mu_);
  sources_ = std::move(loaded);
  loaded_clean_ = clean;
  return "";
}

bool Positions::loaded_clean() const {
  std::lock_guard lock(mu_);
  return loaded_clean_;
}

std::unique_ptr<TailerPositions> Positions::ForSource(std::string source) {
  return std::make_unique<SourceHook>(this, std::move(source));
}

Positions::Entries& Positions::EntriesOf(const std::string& source) {
  auto it = sources_.find(source);
  if (it == sources_.end()) it = sources_.emplace(source, Entries()).first;
  return it->second;
}

std::optional<off_t> Positions::ResumeOffset(const std::string& source, int fd,
                                             const FileKey& key) {
  bool from_file = false;
  bool clean = false;
  std::optional<off_t> offset;
  {
    std::lock_guard lock(mu_);
    Entries& entries = EntriesOf(source);
    auto it = entries.find(key);
    if (it == entries.end()) return std::nullopt;
    const SavedPosition& saved = it->second.saved;
    char head[kMaxFingerprintBytes];
    struct stat st;
    const bool same =
        saved.fingerprint_bytes <= kMaxFingerprintBytes && fstat(fd, &st) == 0 &&
        st.st_size >= saved.offset &&
        pread(fd, head, saved.fingerprint_bytes, 0) ==
            static_cast<ssize_t>(saved.fingerprint_bytes) &&
        Fingerprint(std::string_view(head, saved.fingerprint_bytes)) == saved.fingerprint;
    from_file = it->second.from_file;
    clean = loaded_clean_;
    if (same) {
      offset = saved.offset;
      it->second.from_file = false;
    } else {
      entries.erase(it);
    }
  }
  // Positions made in this run (a source replaced by a reload, a file seen
  // again) are no news; only those read from the file are counted.
  if (events_ != nullptr && from_file) {
    if (offset) {
      events_->OnResumed(source, clean);
    } else {
      events_->OnReplaced(source);
    }
  }
  return offset;
}

void Positions::Commit(const std::string& source, const FileKey& key, std::string_view path,
                       off_t offset, std::string_view head) {
  std::lock_guard lock(mu_);
  Entries& entries = EntriesOf(source);
  auto it = entries.find(key);
  if (it == entries.end()) {
    Entry entry;
    entry.saved.key = key;
    it = entries.emplace(key, std::move(entry)).first;
  }
  Entry& entry = it->second;
  entry.open = true;
  entry.from_file = false;
  entry.saved.offset = offset;
  if (entry.saved.path != path) entry.saved.path.assign(path);
  head = head.substr(0, kMaxFingerprintBytes);
  if (entry.saved.fingerprint_bytes != head.size()) {
    entry.saved.fingerprint_bytes = static_cast<std::uint32_t>(head.size());
    entry.saved.fingerprint = Fingerprint(head);
  }
}

void Positions::Close(const std::string& source, const FileKey& key) {
  std::lock_guard lock(mu_);
  auto entries = sources_.find(source);
  if (entries == sources_.end()) return;
  if (auto it = entries->second.find(key); it != entries->second.end()) it->second.open = false;
}

void Positions::CloseAll(const std::string& source) {
  std::lock_guard lock(mu_);
  auto entries = sources_.find(source);
  if (entries == sources_.end()) return;  // removed from the config meanwhile
  for (auto& [key, entry] : entries->second) entry.open = false;
}

void Positions::RetainSources(const std::function<bool(const std::string&)>& keep) {
  std::lock_guard lock(mu_);
  std::erase_if(sources_, [&](const auto& source) { return !keep(source.first); });
}

std::string Positions::Serialize(bool clean_shutdown) {
  std::string out = "{\"version\": 1, \"clean_shutdown\": ";
  out += clean_shutdown ? "true" : "false";
  out += ", \"sources\": {";
  std::lock_guard lock(mu_);
  bool first_source = true;
  for (auto& [source, entries] : sources_) {
    std::erase_if(entries, [](const auto& e) {
      return !e.second.open && !Names(e.second.saved.path, e.first);
    });
    out += first_source ? "\n  " : ",\n  ";
    first_source = false;
    AppendJsonString(source, out);
    out += ": [";
    bool first = true;
    for (const auto& [key, entry] : entries) {
      const SavedPosition& s = entry.saved;
      char fingerprint[17];
      std::snprintf(fingerprint, sizeof(fingerprint), "%016llx",
                    static_cast<unsigned long long>(s.fingerprint));
      out += first ? "\n    {\"path\": " : ",\n    {\"path\": ";
      first = false;
      AppendJsonString(s.path, out);
      out += ", \"device\": \"" + std::to_string(key.device) + "\", \"inode\": \"" +
             std::to_string(key.inode) + "\", \"offset\": " + std::to_string(s.offset) +
             ", \"fingerprint_bytes\": " + std::to_string(s.fingerprint_bytes) +
             ", \"fingerprint\": \"" + fingerprint + "\"}";
    }
    out += "]";
  }
  out += "}}\n";
  return out;
}

bool Positions::Save(bool clean_shutdown, std::string* error) {
  std::lock_guard lock(save_mu_);
  return WriteAtomically(path_, Serialize(clean_shutdown), error);
}

std::map<FileKey, SavedPosition> Positions::Snapshot(const std::string& source) const {
  std::lock_guard lock(mu_);
  std::map<FileKey, SavedPosition> out;
  if (auto it = sources_.find(source); it != sources_.end()) {
    for (const auto& [key, entry] : it->second) out.emplace(key, entry.saved);
  }
  return out;
}

}  // namespace metrics_adapter
