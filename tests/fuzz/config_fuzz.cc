// Fuzz target for torus serve's settings (server/config.h): byte 0 picks the parser.
//  - even: the rest is a TOML config file, written to a scratch file and read by
//    loadConfigFile() (toml++ and the settings table);
//  - odd: the rest is a command line, NUL-separated arguments after `torus serve`, read by
//    parseServeArgs() (any --config is dropped: it would read files of the input's choice).
//
// Invariants: nothing escapes as an exception or a crash; each problem has a message, a line
// and column within the file (0 for the command line), names the file or nothing, and the
// file's problems come in the file's order; parsing the same input again gives the same
// problems (no state kept between parses).
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "server/config.h"

namespace {

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      fprintf(stderr, "config_fuzz: invariant broken: %s (line %d)\n", #cond, __LINE__);  \
      __builtin_trap();                                                                   \
    }                                                                                     \
  } while (0)

// The scratch file of this process, removed at exit.
const std::string& scratchPath() {
  static const std::string p = "/tmp/torus-config-fuzz-" + std::to_string(getpid()) + ".toml";
  // Registered after p's destructor, so it runs before it.
  static const bool removed = atexit([] { unlink(scratchPath().c_str()); }) == 0;
  (void)removed;
  return p;
}

std::vector<std::string> texts(const std::vector<torus::server::ConfigProblem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.text());
  return out;
}

std::vector<std::string> fromFile(std::string_view text) {
  int fd = open(scratchPath().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(write(fd, text.data(), text.size()) == ssize_t(text.size()));
  close(fd);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  torus::server::ServeOptions o;
  auto problems = torus::server::loadConfigFile(scratchPath(), o);
  int lastLine = 0, lastColumn = 0;
  for (const auto& p : problems) {
    FUZZ_CHECK(!p.message.empty());
    FUZZ_CHECK(p.file.empty() || p.file == scratchPath());
    FUZZ_CHECK(p.line >= 0 && size_t(p.line) <= lines + 1);
    FUZZ_CHECK(p.column >= 0);
    if (!p.file.empty()) {
      FUZZ_CHECK(std::pair(p.line, p.column) >= std::pair(lastLine, lastColumn));
      lastLine = p.line;
      lastColumn = p.column;
    }
  }
  return texts(problems);
}

std::vector<std::string> fromArgs(std::string_view text) {
  std::vector<std::string> args = {"torus", "serve"};
  size_t from = 0;
  while (from <= text.size() && args.size() < 10) {  // up to 8 arguments
    size_t to = text.find('\0', from);
    if (to == std::string_view::npos) to = text.size();
    // At most 8 arguments of 32 bytes: an unknown flag's did-you-mean is an edit distance to
    // every flag (quadratic in its length), which made long ones the whole run.
    args.emplace_back(text.substr(from, std::min<size_t>(to - from, 32)));
    from = to + 1;
  }
  std::vector<char*> argv;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config") {
      ++i;
      continue;
    }
    argv.push_back(args[i].data());
  }
  argv.push_back(nullptr);
  torus::server::ServeOptions o;
  auto problems = torus::server::parseServeArgs(int(argv.size() - 1), argv.data(), o);
  for (const auto& p : problems) {
    FUZZ_CHECK(!p.message.empty());
    FUZZ_CHECK(p.file.empty() && p.line == 0 && p.column == 0);
  }
  return texts(problems);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 4096) return 0;  // did-you-mean is quadratic in a key's length
  torus::setLogLevel(torus::LogLevel::kOff);
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    FUZZ_CHECK(fromFile(text) == fromFile(text));
  } else {
    FUZZ_CHECK(fromArgs(text) == fromArgs(text));
  }
  torus::setLogLevel(torus::LogLevel::kOff);  // a log_level setting may have changed it
  return 0;
}
