// Logging to stderr, one line per call, written with a single write(2) so lines from worker
// threads do not interleave. Thread-safe; the level is process-wide and set once at start.
#pragma once

#include <cstdarg>

namespace torus {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void setLogLevel(LogLevel level);
LogLevel logLevel();

// printf-style. A trailing newline is added.
void logf(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

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
