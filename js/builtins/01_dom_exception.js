// WebIDL DOMException (https://webidl.spec.whatwg.org/#idl-DOMException): class
// DOMException extends Error, with the name, message and legacy code attributes and the
// legacy code constants. Private fields give the brand check WebIDL asks for: the getters
// throw a TypeError on anything that is not a DOMException. Registered as the realm's
// "DOMException" helper, so that JsError::dom(name, message) thrown from C++ is a real one.
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

class DOMException extends Error {
  #name;
  #message;
  #code;
  constructor(message = undefined, name = undefined) {
    super();
    this.#message = message === undefined ? '' : `${message}`;
    this.#name = name === undefined ? 'Error' : `${name}`;
    this.#code = hasOwn.call(codes, this.#name) ? codes[this.#name] : 0;
  }
  get name() {
    if (!(#name in this)) throw new TypeError('Illegal invocation');
    return this.#name;
  }
  get message() {
    if (!(#message in this)) throw new TypeError('Illegal invocation');
    return this.#message;
  }
  get code() {
    if (!(#code in this)) throw new TypeError('Illegal invocation');
    return this.#code;
  }
}

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
natives.setHelper('DOMException', DOMException);
internals.webidl.defineGlobal('DOMException', DOMException);
