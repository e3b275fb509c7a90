// Logging to stderr, one line per call, written with a single write(2) so lines from worker
// threads do not interleave. Thread-safe; the level and the format are process-wide and set
// once at start. Formats: text ("torus info: message") for terminals and tests, or JSON lines
// for journald and log shippers ({"ts":"2026-12-02T17:40:00.123456Z","level":"info",
// "msg":"..."}; an access log line carries its fields as members instead of a message).
#pragma once

#include <cstdarg>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace torus {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void setLogLevel(LogLevel level);
LogLevel logLevel();

enum class LogFormat { kText, kJson };
void setLogFormat(LogFormat format);
LogFormat logFormat();
// What `auto` means: text when stderr (where the log goes) is a terminal, JSON otherwise
// (journald, a pipe, a file).
LogFormat autoLogFormat();

// s as the inside of a JSON string (quotes, backslashes and control characters escaped;
// bytes that are not UTF-8 pass through as they are).
void appendJsonEscaped(std::string& out, std::string_view s);
// Writes one whole line as it is (a newline is added): for lines built by their owner, such
// as the access log's.
void logRaw(std::string_view line);
// The current time as JSON wants it in a log line: "2026-12-02T17:40:00.123456Z".
std::string logTimestamp();

// printf-style. A trailing newline is added.
void logf(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// A budget of lines per second for one source of repeated log lines (a failing upstream
// under load, refused TLS clients): allow() says whether this line may be logged; the others
// are counted, and the count is handed over once for a summary line (by allow() when the next
// second starts, by takeNotLogged() at the end). Not thread-safe: one per owner.
class LogRateLimit {
 public:
  explicit constexpr LogRateLimit(uint32_t perSecond) : perSecond_(perSecond) {}
  // nowMs: any monotonic clock. notLoggedBefore: the lines the last second did not log, when
  // this call starts a new second (else 0).
  bool allow(uint64_t nowMs, uint64_t& notLoggedBefore) {
    notLoggedBefore = 0;
    if (nowMs - windowStartMs_ >= 1000) {
      notLoggedBefore = std::exchange(notLogged_, 0);
      windowStartMs_ = nowMs;
      inWindow_ = 0;
    }
    if (inWindow_ >= perSecond_) {
      ++notLogged_;
      return false;
    }
    ++inWindow_;
    return true;
  }
  uint64_t takeNotLogged() { return std::exchange(notLogged_, 0); }
  uint32_t perSecond() const { return perSecond_; }

 private:
  uint32_t perSecond_;
  uint32_t inWindow_ = 0;
  uint64_t windowStartMs_ = 0;
  uint64_t notLogged_ = 0;
};

}  // namespace torus

#define TORUS_LOG(level, ...)                                                    \
  do {                                                                           \
    if (::torus::LogLevel::level >= ::torus::logLevel())                         \
      ::torus::logf(::torus::LogLevel::level, __VA_ARGS__);                      \
  } while (0)
#define LOG_DEBUG(...) TORUS_LOG(kDebug, __VA_ARGS__)
#define LOG_INFO(...) TORUS_LOG(kInfo, __VA_ARGS__)
#define LOG_WARN(...) TORUS_LOG(kWarn, __VA_ARGS__)
#define LOG_ERROR(...) TORUS_LOG(kError, __VA_ARGS__)
