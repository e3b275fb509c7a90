// `console` (https://console.spec.whatwg.org/) with Node-style formatting.
//
// The formatter is built-in JavaScript (js/builtins/10_console.js): inspect(value, options)
// follows the layout rules of Node's util.inspect (depth 2, 80-column lines, arrays grouped
// in columns, `[Circular *1]`, Map/Set/typed array/Error/Promise/Proxy forms) and
// format(...args) does the printf-style %s %d %i %f %j %o %O %c %% substitutions.
// console.log/info/debug/dir/table/count/time*/group write to fd 1; warn/error/trace/assert
// to fd 2; each call writes its whole text with one write(2). This file holds its natives:
// the write, and the type and internal-state probes that JS alone cannot make.
//
// Thread: the isolate's.
#pragma once

namespace torus::js {

class Natives;

// print, typeOf, proxyDetails, promiseDetails, previewEntries, now (Headers print through
// headersList, js/api/headers.h).
void addConsoleNatives(Natives& natives);

}  // namespace torus::js
