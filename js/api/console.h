// `console` (https://console.spec.whatwg.org/) with Node-style formatting.
//
// The formatter is embedded JavaScript compiled once per realm: inspect(value, options)
// follows the layout rules of Node's util.inspect (depth 2, 80-column lines, arrays grouped
// in columns, `[Circular *1]`, Map/Set/typed array/Error/Promise/Proxy forms) and
// format(...args) does the printf-style %s %d %i %f %j %o %O %c %% substitutions.
// console.log/info/debug/dir/table/count/time*/group write to fd 1; warn/error/trace/assert
// to fd 2; each call writes its whole text with one write(2).
//
// Thread: the isolate's.
#pragma once

#include "js/realm.h"

namespace torus::js {

// Replaces the global object's `console` (V8's built-in one prints nowhere) and registers the
// realm helpers "inspect" (value, options?) -> string and "format" (...args) -> string, for
// C++ that logs JS values. Once per realm, after context creation, before user code runs.
void installConsole(Realm& realm);

}  // namespace torus::js
