// structuredClone(value, { transfer })
// (https://html.spec.whatwg.org/multipage/structured-data.html#dom-structuredclone): the
// options conversion here, the clone itself native (js/api/structured_clone.h) on V8's
// serializer, which also clones Error objects as the spec says (name from the seven native
// error types, else "Error"; an own data `message`; the stack).
//
// internals.cloneHooks: how a built-in makes its platform objects serializable.
//
//   internals.cloneHooks.register(Interface, {
//     serialize(value) { return data; },   // value is an instance (or of a subclass)
//     deserialize(object, data) { ... },   // fill in object, a new empty instance
//   });
//
// - Instances must be platform objects: made with webidl.createBranded(new.target) (or
//   webidl.createPlatformObject(prototype)). A platform object whose interface has no hook
//   is a DataCloneError ("Blob object could not be cloned.").
// - serialize runs when the clone reaches the instance, in graph order; it reads the
//   instance's internal state (not its public, user-patchable properties) and returns any
//   cloneable value (arrays, plain objects, strings, ArrayBuffers, other platform
//   objects...). That data is cloned within the same graph: shared references and other
//   hooked objects inside it are kept. It must not contain the instance itself. An
//   exception it throws propagates out of structuredClone unchanged.
// - deserialize gets a new platform object whose prototype is Interface.prototype (a
//   subclass instance clones as its closest serializable superclass, as HTML says), already
//   linked into the cloned graph, and the cloned data, and sets up the object's internal
//   state (private fields stamped on it, brand symbols...). It runs after the whole graph is
//   read (V8 allows no JS while deserializing), inner objects first; use captured
//   intrinsics, so that a deleted or patched global does not matter.
// - Register each serializable interface separately (File as well as Blob): the closest
//   registered prototype on an instance's chain wins.
//
// Blob/File, for the branch that adds them: register(Blob, { serialize: (b) =>
// [type, bytes], deserialize: (object, [type, bytes]) => ... }) and register(File, ...) with
// name and lastModified too, from their own file (any name after 02_). DOMException
// registers itself this way (01_dom_exception.js).
'use strict';

const { webidl } = internals;
const { converters } = webidl;
const nativeClone = natives.structuredClone;
const setCloneHook = natives.setCloneHook;
const ObjectFreeze = Object.freeze;

internals.cloneHooks = ObjectFreeze({
  register(Interface, { serialize, deserialize }) {
    if (typeof Interface !== 'function' || typeof serialize !== 'function' ||
        typeof deserialize !== 'function') {
      throw new TypeError('cloneHooks.register(Interface, { serialize, deserialize })');
    }
    const prototype = Interface.prototype;
    setCloneHook(prototype, ObjectFreeze({
      __proto__: null, name: Interface.name, prototype, serialize, deserialize,
    }));
  },
});

const toTransferList = webidl.createSequenceConverter(converters.object);
const toOptions = webidl.createDictionaryConverter('StructuredSerializeOptions', [
  { key: 'transfer', converter: toTransferList, defaultValue: () => [] },
]);
const prefix = "Failed to execute 'structuredClone'";

const methods = {
  structuredClone(value, options = undefined) {
    webidl.requiredArguments(arguments.length, 1, prefix);
    const { transfer } = toOptions(options, prefix, 'parameter 2');
    // MessagePorts are transferable once 13_message.js (lazy) has run; before, none exists.
    const transferClone = internals.transferClone;
    if (transferClone !== undefined) return transferClone(value, transfer);
    return nativeClone(value, transfer);
  },
};
webidl.defineGlobalOperation('structuredClone', methods.structuredClone);
