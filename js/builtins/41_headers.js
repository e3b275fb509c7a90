// Headers' pair iterator (https://fetch.spec.whatwg.org/#headers-class: iterable<ByteString,
// ByteString>) in JavaScript over the native sorted-and-combined list: entries, keys, values,
// forEach and @@iterator. The list (natives.headersList) is an array of [name, value] arrays
// cached on the Headers until it changes, so each step of a live iteration is a cheap native
// call instead of building two strings and an array in C++ (js/api/headers.cc).
'use strict';

const { headersList, isHeaders } = natives;
internals.webidl.mixinPairIterable('Headers', globalThis.Headers, headersList, isHeaders);
