#include "base/log.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/check.h"

namespace torus {
namespace {
std::atomic<LogLevel> gLevel{LogLevel::kInfo};
std::atomic<LogFormat> gFormat{LogFormat::kText};
constexpr const char* kLevelNames[] = {"debug", "info", "warn", "error"};

void writeAll(const char* out, size_t len) {
  while (len > 0) {
    ssize_t w = ::write(2, out, len);
    if (w <= 0) break;
    out += w;
    len -= w;
  }
}
}  // namespace

void setLogLevel(LogLevel level) { gLevel.store(level, std::memory_order_relaxed); }
LogLevel logLevel() { return gLevel.load(std::memory_order_relaxed); }
void setLogFormat(LogFormat format) { gFormat.store(format, std::memory_order_relaxed); }
LogFormat logFormat() { return gFormat.load(std::memory_order_relaxed); }
LogFormat autoLogFormat() { return isatty(STDERR_FILENO) ? LogFormat::kText : LogFormat::kJson; }

void appendJsonEscaped(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
}

std::string logTimestamp() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  char buf[40];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", t.tm_year + 1900,
           t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000);
  return buf;
}

void logRaw(std::string_view line) {
  std::string out(line);
  out += '\n';
  writeAll(out.data(), out.size());
}

void logf(LogLevel level, const char* fmt, ...) {
  char stackBuf[512];
  std::string heapBuf;
  int prefix = snprintf(stackBuf, sizeof stackBuf, "torus %s: ",
                        kLevelNames[static_cast<int>(level) & 3]);
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(stackBuf + prefix, sizeof stackBuf - prefix - 1, fmt, ap);
  va_end(ap);
  const char* out = stackBuf;
  size_t len;
  if (n >= 0 && static_cast<size_t>(n) < sizeof stackBuf - prefix - 1) {
    len = prefix + n;
    stackBuf[len++] = '\n';
  } else {
    // Long line (a stack trace): format again into a string sized to fit.
    heapBuf.assign(stackBuf, prefix);
    heapBuf.resize(prefix + n + 1);
    vsnprintf(heapBuf.data() + prefix, n + 1, fmt, ap2);
    heapBuf.back() = '\n';
    out = heapBuf.data();
    len = heapBuf.size();
  }
  va_end(ap2);
  if (logFormat() == LogFormat::kJson) {
    std::string json = "{\"ts\":\"" + logTimestamp() + "\",\"level\":\"" +
                       kLevelNames[static_cast<int>(level) & 3] + "\",\"msg\":\"";
    appendJsonEscaped(json, std::string_view(out + prefix, len - prefix - 1));
    json += "\"}\n";
    writeAll(json.data(), json.size());
    return;
  }
  writeAll(out, len);
}

namespace detail {
void checkFailed(const char* file, int line, const char* cond, const char* msg) {
  logf(LogLevel::kError, "CHECK failed at %s:%d: %s%s%s", file, line, cond, msg ? ": " : "",
       msg ? msg : "");
  abort();
}
}  // namespace detail
}  // namespace torus
