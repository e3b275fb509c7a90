// WebIDL `DOMException` (https://webidl.spec.whatwg.org/#idl-DOMException), in embedded
// JavaScript: class DOMException extends Error, with the `name`, `message` and legacy `code`
// attributes and the legacy code constants.
//
// Thread: the isolate's.
#pragma once

#include "js/realm.h"

namespace torus::js {

// Defines globalThis.DOMException and registers it as the realm's "DOMException" helper, so
// that JsError::dom(name, message) thrown from C++ becomes a real DOMException. Once per
// realm, before user code runs.
void installDOMException(Realm& realm);

}  // namespace torus::js
