#include "js/api/navigator.h"

#include <sched.h>

#include "js/builtins.h"

#ifndef TORUS_VERSION
#error "TORUS_VERSION must come from CMake's project version"
#endif

namespace torus::js {

const char* userAgent() { return "torus/" TORUS_VERSION; }

int hardwareConcurrency() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  int n = CPU_COUNT(&set);
  return n > 0 ? n : 1;
}

void addNavigatorNatives(Natives& natives) {
  v8::Isolate* iso = natives.object()->GetIsolate();
  natives.set("userAgent", v8Str(iso, userAgent()));
  natives.set("hardwareConcurrency", v8::Integer::New(iso, hardwareConcurrency()));
}

}  // namespace torus::js
