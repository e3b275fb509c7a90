// structuredClone (https://html.spec.whatwg.org/multipage/structured-data.html#dom-structuredclone)
// on V8's ValueSerializer/ValueDeserializer, in one isolate: the value is serialized and read
// back at once, so SharedArrayBuffers and WebAssembly modules are shared, not copied, and
// transferred ArrayBuffers move their backing store without a copy.
//
// Platform objects. V8 10.2 hands an object to the delegate (WriteHostObject) only when it has
// internal fields, so every platform object, native or built-in JS, must be one:
//   natives.createPlatformObject(prototype)  an object with internal fields and that prototype
//                                             (webidl.createBranded uses it);
//   natives.setCloneHook(prototype, hook)     marks an interface prototype as serializable:
//                                             hook = {name, prototype, serialize(v) -> data,
//                                             deserialize(object, data)}. The closest marked
//                                             prototype on the chain wins (a subclass instance
//                                             clones as its closest serializable superclass).
// A platform object with no hook on its chain (Headers, AbortController, ...) is a
// DataCloneError naming its class. V8 runs no JS while deserializing: a hooked object is
// read as an empty platform object of the hook's prototype, and deserialize(object, data)
// fills it in once the whole graph is read (inner objects first). Hooks are registered through internals.cloneHooks
// (js/builtins/02_structured_clone.js), which documents them for built-in authors.
//
// Limits: the serialized form of one clone is at most kMaxCloneBytes (a DataCloneError over).
// Thread: the isolate's.
#pragma once

#include <v8.h>

#include <cstddef>

#include "js/binding.h"

namespace torus::js {

class Natives;

inline constexpr size_t kMaxCloneBytes = size_t(1) << 30;  // 1 GiB

// The structured clone of value; transfer lists ArrayBuffers to detach (an empty handle or
// an empty array for none). DataCloneError as the spec says; a user exception (a throwing
// getter) is pending.
JsResult<v8::Local<v8::Value>> structuredClone(Realm& realm, v8::Local<v8::Value> value,
                                               v8::Local<v8::Array> transfer);

// A new platform object of the given prototype (see above).
v8::Local<v8::Object> createPlatformObject(Realm& realm, v8::Local<v8::Object> prototype);

// structuredClone, createPlatformObject, setCloneHook.
void addStructuredCloneNatives(Natives& natives);

}  // namespace torus::js
