// atob() and btoa() (https://html.spec.whatwg.org/multipage/webappapis.html#atob): WebIDL
// conversions here, forgiving-base64 in js/api/base64.cc (which throws the
// InvalidCharacterError DOMException).
'use strict';

const { webidl } = internals;
const { converters } = webidl;
const { atob: nativeAtob, btoa: nativeBtoa } = natives;

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
webidl.defineGlobalOperation('atob', operations.atob);
webidl.defineGlobalOperation('btoa', operations.btoa);
