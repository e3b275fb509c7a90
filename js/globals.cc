#include "js/globals.h"

#include "js/api/base64.h"
#include "js/api/console.h"
#include "js/api/encoding.h"
#include "js/api/headers.h"
#include "js/api/request.h"
#include "js/api/response.h"
#include "js/binding.h"
#include "js/builtins.h"

namespace torus::js {

void installGlobals(Realm& realm) {
  v8::HandleScope scope(realm.isolate());
  Natives natives(realm);
  addConsoleNatives(natives);
  addEncodingNatives(natives);
  addBase64Natives(natives);
  runBuiltins(realm);
  installClass<Headers>(realm);
  installClass<Request>(realm);
  installClass<Response>(realm);
}

}  // namespace torus::js
