// The JS-visible platform of a realm, assembled in one place: every Web API's natives, its
// native classes, and the built-in JavaScript (js/builtins.h). Timers are installed by the
// Runtime, which owns the loop they need.
//
// Thread: the isolate's.
#pragma once

#include "js/realm.h"

namespace torus::js {

// Installs every global that needs no event loop. Once per realm, before user code runs.
void installGlobals(Realm& realm);

}  // namespace torus::js
