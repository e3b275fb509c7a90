// The facts behind `navigator` (https://html.spec.whatwg.org/multipage/system-state.html,
// WorkerNavigator): the interface is built-in JS (js/builtins/05_navigator.js).
//
// userAgent: "torus/<version>", the CMake project version (TORUS_VERSION).
// hardwareConcurrency: the CPUs this process may run on (sched_getaffinity), read once per
// realm; at least 1.
#pragma once

namespace torus::js {

class Natives;

const char* userAgent();
int hardwareConcurrency();

// userAgent, hardwareConcurrency.
void addNavigatorNatives(Natives& natives);

}  // namespace torus::js
