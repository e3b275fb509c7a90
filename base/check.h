// TORUS_CHECK: invariants whose failure is a bug. Logs file:line and the condition, then
// aborts. Expected failures are values (Result, -errno), never checks.
#pragma once

namespace torus::detail {
[[noreturn]] void checkFailed(const char* file, int line, const char* cond, const char* msg);
}  // namespace torus::detail

#define TORUS_CHECK(cond)                                                                    \
  do {                                                                                       \
    if (__builtin_expect(!(cond), 0)) ::torus::detail::checkFailed(__FILE__, __LINE__, #cond, \
                                                                   nullptr);                  \
  } while (0)

#define TORUS_CHECK_MSG(cond, msg)                                                           \
  do {                                                                                       \
    if (__builtin_expect(!(cond), 0)) ::torus::detail::checkFailed(__FILE__, __LINE__, #cond, \
                                                                   (msg));                    \
  } while (0)
