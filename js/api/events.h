// The natives of DOM events and abort (js/builtins/11_event.js, 12_abort.js). Events,
// EventTarget and AbortSignal are built-in JavaScript with all their state in JS; these
// natives only give what JS cannot compute itself, for HTML's "report an exception":
//   errorLocation(error) -> [message, filename, lineno, colno], from V8's message for the
//                           value (an Error's own stack, else the current one)
//   logUncaught(what, error)  logs "what: <error with stack>" and counts it as a failure
//                             (Realm::reportError: `torus run` exits 1)
// Event.timeStamp uses console's `now` native (CLOCK_MONOTONIC).
//
// Thread: the isolate's.
#pragma once

namespace torus::js {

class Natives;

void addEventNatives(Natives& natives);

}  // namespace torus::js
