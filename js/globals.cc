#include "js/globals.h"

#include "js/api/base64.h"
#include "js/api/blob.h"
#include "js/api/compression.h"
#include "js/api/console.h"
#include "js/api/encoding.h"
#include "js/api/events.h"
#include "js/api/fetch.h"
#include "js/api/crypto_random.h"
#include "js/api/headers.h"
#include "js/api/language.h"
#include "js/api/navigator.h"
#include "js/api/performance.h"
#include "js/api/request.h"
#include "js/api/response.h"
#include "js/api/structured_clone.h"
#include "js/api/crypto_asymmetric.h"
#include "js/api/subtle_crypto.h"
#include "js/api/url.h"
#include "js/binding.h"
#include "js/builtins.h"

namespace torus::js {

void installGlobals(Realm& realm) {
  v8::HandleScope scope(realm.isolate());
  Natives natives(realm);
  addConsoleNatives(natives);
  addEncodingNatives(natives);
  addBase64Natives(natives);
  addEventNatives(natives);
  addBlobNatives(natives);
  addBodyNatives(natives);
  addCompressionNatives(natives);
  addLanguageNatives(natives);
  addStructuredCloneNatives(natives);
  addPerformanceNatives(natives);
  addCryptoRandomNatives(natives);
  addSubtleCryptoNatives(natives);
  addAsymmetricCryptoNatives(natives);
  addNavigatorNatives(natives);
  addUrlNatives(natives);
  addHeadersNatives(natives);
  addFetchNatives(natives);
  // The native classes first, so that built-ins may capture them (90_inspect.js does).
  installClass<Headers>(realm);
  installClass<Request>(realm);
  installClass<Response>(realm);
  runBuiltins(realm);
}

}  // namespace torus::js
