// navigator (https://html.spec.whatwg.org/multipage/workers.html#the-workernavigator-object):
// the WorkerNavigator's userAgent and hardwareConcurrency (js/api/navigator.h), as the
// `Navigator` interface that workerd and Deno expose; and `self`, the global object.
'use strict';

const { webidl } = internals;
const userAgent = natives.userAgent;
const hardwareConcurrency = natives.hardwareConcurrency;

class Navigator {
  constructor() {
    webidl.illegalConstructor();
  }
  get userAgent() {
    webidl.assertBranded(this, Navigator.prototype);
    return userAgent;
  }
  get hardwareConcurrency() {
    webidl.assertBranded(this, Navigator.prototype);
    return hardwareConcurrency;
  }
}
webidl.configureInterface(Navigator);

const navigator = webidl.createBranded(Navigator);
internals.navigator = navigator;
webidl.defineGlobal('Navigator', Navigator);
webidl.defineGlobalAttribute('navigator', navigator);
// WorkerGlobalScope's `self`, replaceable as Window's is: bundles that assign or redeclare
// `self` keep working.
webidl.defineGlobalAttribute('self', globalThis, { replaceable: true });
