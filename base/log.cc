#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/check.h"

namespace torus {
namespace {
std::atomic<LogLevel> gLevel{LogLevel::kInfo};
constexpr const char* kLevelNames[] = {"debug", "info", "warn", "error"};
}  // namespace

void setLogLevel(LogLevel level) { gLevel.store(level, std::memory_order_relaxed); }
LogLevel logLevel() { return gLevel.load(std::memory_order_relaxed); }

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
  while (len > 0) {
    ssize_t w = ::write(2, out, len);
    if (w <= 0) break;
    out += w;
    len -= w;
  }
}

namespace detail {
void checkFailed(const char* file, int line, const char* cond, const char* msg) {
  logf(LogLevel::kError, "CHECK failed at %s:%d: %s%s%s", file, line, cond, msg ? ": " : "",
       msg ? msg : "");
  abort();
}
}  // namespace detail
}  // namespace torus
