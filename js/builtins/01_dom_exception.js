// WebIDL DOMException (https://webidl.spec.whatwg.org/#idl-DOMException): a class whose
// prototype inherits from Error.prototype, with the name, message and legacy code attributes
// and the legacy code constants. Private fields give the brand check WebIDL asks for: the getters
// throw a TypeError on anything that is not a DOMException. Registered as the realm's
// "DOMException" helper, so that JsError::dom(name, message) thrown from C++ is a real one.
// Run lazily (js/builtins.h), on first use of its globals or when C++ throws a
// DOMException (the realm helper):
// @lazy DOMException QuotaExceededError
// @helpers DOMException
'use strict';

// https://webidl.spec.whatwg.org/#idl-DOMException-error-names: names with a legacy code.
const codes = {
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4,
  InvalidCharacterError: 5, NoModificationAllowedError: 7, NotFoundError: 8,
  NotSupportedError: 9, InUseAttributeError: 10, InvalidStateError: 11, SyntaxError: 12,
  InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
  TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20,
  URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23,
  InvalidNodeTypeError: 24, DataCloneError: 25,
};
const constants = [
  'INDEX_SIZE_ERR', 'DOMSTRING_SIZE_ERR', 'HIERARCHY_REQUEST_ERR', 'WRONG_DOCUMENT_ERR',
  'INVALID_CHARACTER_ERR', 'NO_DATA_ALLOWED_ERR', 'NO_MODIFICATION_ALLOWED_ERR',
  'NOT_FOUND_ERR', 'NOT_SUPPORTED_ERR', 'INUSE_ATTRIBUTE_ERR', 'INVALID_STATE_ERR',
  'SYNTAX_ERR', 'INVALID_MODIFICATION_ERR', 'NAMESPACE_ERR', 'INVALID_ACCESS_ERR',
  'VALIDATION_ERR', 'TYPE_MISMATCH_ERR', 'SECURITY_ERR', 'NETWORK_ERR', 'ABORT_ERR',
  'URL_MISMATCH_ERR', 'QUOTA_EXCEEDED_ERR', 'TIMEOUT_ERR', 'INVALID_NODE_TYPE_ERR',
  'DATA_CLONE_ERR',
];
const hasOwn = Object.prototype.hasOwnProperty;

const ErrorCaptureStackTrace = Error.captureStackTrace;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const ObjectDefineProperty = Object.defineProperty;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;

// Private fields stamped onto an object made elsewhere: a base constructor that returns its
// argument makes `super(o)` install the subclass's fields on o.
class Stamp {
  constructor(o) {
    return o;
  }
}
class State extends Stamp {
  #name;
  #message;
  #code;
  constructor(o, message, name) {
    super(o);
    this.#message = message;
    this.#name = name;
    this.#code = hasOwn.call(codes, name) ? codes[name] : 0;
  }
  static get(o, key) {
    if (o === null || typeof o !== 'object' || !(#name in o)) {
      throw new TypeError('Illegal invocation');
    }
    return key === 'name' ? o.#name : key === 'message' ? o.#message : o.#code;
  }
}

// Instances are platform objects (natives.createPlatformObject), not Error objects: that is
// what lets structuredClone serialize them by their hook below (V8's serializer writes Error
// objects itself, and would lose the name and message); the prototype chain still runs
// through Error.prototype, as WebIDL asks, and a stack is captured as for errors.
class DOMException {
  constructor(message = undefined, name = undefined) {
    message = message === undefined ? '' : `${message}`;
    name = name === undefined ? 'Error' : `${name}`;
    let proto = new.target.prototype;
    if (proto === null || (typeof proto !== 'object' && typeof proto !== 'function')) {
      proto = DOMException.prototype;
    }
    const self = natives.createPlatformObject(proto);
    new State(self, message, name);
    ErrorCaptureStackTrace(self, new.target);
    return self;
  }
  get name() {
    return State.get(this, 'name');
  }
  get message() {
    return State.get(this, 'message');
  }
  get code() {
    return State.get(this, 'code');
  }
}
ObjectSetPrototypeOf(DOMException.prototype, Error.prototype);

// WebIDL attributes are enumerable; constants are read-only on both the interface and
// its prototype.
for (const key of ['name', 'message', 'code']) {
  Object.defineProperty(DOMException.prototype, key, { enumerable: true });
}
const descriptors = {};
constants.forEach((key, i) => {
  descriptors[key] = { value: i + 1, enumerable: true, writable: false, configurable: false };
});
Object.defineProperties(DOMException, descriptors);
Object.defineProperties(DOMException.prototype, descriptors);
Object.defineProperty(DOMException.prototype, Symbol.toStringTag, {
  value: 'DOMException', writable: false, enumerable: false, configurable: true,
});
internals.DOMException = DOMException;

// https://webidl.spec.whatwg.org/#quotaexceedederror: a DOMException named
// "QuotaExceededError" with the quota and the amount requested (null when not known).
class QuotaState extends Stamp {
  #quota;
  #requested;
  constructor(o, quota, requested) {
    super(o);
    this.#quota = quota;
    this.#requested = requested;
  }
  static get(o, key) {
    if (o === null || typeof o !== 'object' || !(#quota in o)) {
      throw new TypeError('Illegal invocation');
    }
    return key === 'quota' ? o.#quota : o.#requested;
  }
}
class QuotaExceededError extends DOMException {
  constructor(message = undefined, options = undefined) {
    const prefix = "Failed to construct 'QuotaExceededError'";
    message = message === undefined ? '' : `${message}`;
    if (options !== undefined && options !== null && typeof options !== 'object' &&
        typeof options !== 'function') {
      throw new TypeError(`${prefix}: parameter 2 can not be converted to a dictionary.`);
    }
    const number = (key) => {
      const v = options == null ? undefined : options[key];
      if (v === undefined) return null;
      const x = Number(v);
      if (!Number.isFinite(x)) {
        throw new TypeError(`${prefix}: '${key}' is not a finite floating-point value.`);
      }
      if (x < 0) throw new RangeError(`${prefix}: '${key}' cannot be negative.`);
      return x;
    };
    const quota = number('quota');
    const requested = number('requested');
    if (quota !== null && requested !== null && requested > quota) {
      throw new RangeError(`${prefix}: 'requested' cannot be more than 'quota'.`);
    }
    super(message, 'QuotaExceededError');
    new QuotaState(this, quota, requested);
  }
  get quota() {
    return QuotaState.get(this, 'quota');
  }
  get requested() {
    return QuotaState.get(this, 'requested');
  }
}
for (const key of ['quota', 'requested']) {
  Object.defineProperty(QuotaExceededError.prototype, key, { enumerable: true });
}
Object.defineProperty(QuotaExceededError.prototype, Symbol.toStringTag, {
  value: 'QuotaExceededError', writable: false, enumerable: false, configurable: true,
});
internals.QuotaExceededError = QuotaExceededError;
// https://webidl.spec.whatwg.org/#domexception-serialization-steps: name and message (the
// code follows from the name); a QuotaExceededError adds quota and requested. The stack
// rides along as V8 does for errors: only a string data property is read, so no user
// getter runs. (natives.setCloneHook directly: internals.cloneHooks comes later, in 02_.)
function serializeException(e) {
  const desc = ObjectGetOwnPropertyDescriptor(e, 'stack');
  const stack = desc && typeof desc.value === 'string' ? desc.value : undefined;
  return [State.get(e, 'name'), State.get(e, 'message'), stack];
}
function deserializeException(object, data) {
  new State(object, data[1], data[0]);
  if (typeof data[2] === 'string') {
    ObjectDefineProperty(object, 'stack', {
      value: data[2], writable: true, enumerable: false, configurable: true,
    });
  }
}
natives.setCloneHook(DOMException.prototype, Object.freeze({
  __proto__: null,
  name: 'DOMException',
  prototype: DOMException.prototype,
  serialize: serializeException,
  deserialize: deserializeException,
}));
natives.setCloneHook(QuotaExceededError.prototype, Object.freeze({
  __proto__: null,
  name: 'QuotaExceededError',
  prototype: QuotaExceededError.prototype,
  serialize: (e) => [serializeException(e), QuotaState.get(e, 'quota'),
    QuotaState.get(e, 'requested')],
  deserialize(object, data) {
    deserializeException(object, data[0]);
    new QuotaState(object, data[1], data[2]);
  },
}));
natives.setHelper('DOMException', DOMException);
internals.webidl.defineGlobal('DOMException', DOMException);
internals.webidl.defineGlobal('QuotaExceededError', QuotaExceededError);
