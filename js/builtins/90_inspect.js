// How the console prints the C++ platform classes (internals.inspectHooks, 10_console.js):
// the attributes Node and Deno show for each, read through the getters as they are when the
// built-ins load. The built-in JS classes register theirs in their own files, when those
// run (lazily, js/builtins.h), so that this file touches no lazy global.
'use strict';

const { inspectHooks } = internals;
const shown = [
  ['Response', ['status', 'statusText', 'headers', 'body', 'bodyUsed', 'ok', 'redirected',
    'type', 'url']],
  ['Request', ['method', 'url', 'headers', 'destination', 'referrer', 'referrerPolicy', 'mode',
    'credentials', 'cache', 'redirect', 'integrity', 'keepalive', 'isReloadNavigation',
    'isHistoryNavigation', 'signal']],
];
for (const [name, attributes] of shown) {
  const Interface = globalThis[name];
  if (typeof Interface === 'function') inspectHooks.register(Interface, attributes);
}
