// atob() and btoa() (https://html.spec.whatwg.org/multipage/webappapis.html#atob): WebIDL
// conversions here, forgiving-base64 in js/api/base64.cc (which throws the
// InvalidCharacterError DOMException).
'use strict';

const { webidl } = internals;
const { converters } = webidl;
const { atob: nativeAtob, btoa: nativeBtoa } = natives;

// Operations of the global object: writable, enumerable, configurable.
function defineOperation(name, fn) {
  Object.defineProperty(globalThis, name, {
    value: fn, writable: true, enumerable: true, configurable: true,
  });
}

// Method syntax: no [[Construct]] and no own `prototype`, as for WebIDL operations.
const operations = {
  atob(data) {
    const prefix = "Failed to execute 'atob'";
    webidl.requiredArguments(arguments.length, 1, prefix);
    return nativeAtob(typeof data === 'string' ? data
      : converters.DOMString(data, prefix, 'parameter 1'));
  },
  btoa(data) {
    const prefix = "Failed to execute 'btoa'";
    webidl.requiredArguments(arguments.length, 1, prefix);
    return nativeBtoa(typeof data === 'string' ? data
      : converters.DOMString(data, prefix, 'parameter 1'));
  },
};
defineOperation('atob', operations.atob);
defineOperation('btoa', operations.btoa);
