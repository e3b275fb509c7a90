// How the console prints the platform classes (internals.inspectHooks, 10_console.js): the
// attributes Node and Deno show for each, read through the getters as they are when the
// built-ins load. Runs after every built-in that defines a class.
'use strict';

const { inspectHooks } = internals;
const shown = [
  ['Blob', ['size', 'type']],
  ['File', ['size', 'type', 'name', 'lastModified']],
  ['Event', ['type', 'defaultPrevented', 'cancelable', 'timeStamp']],
  ['AbortSignal', ['aborted']],
  ['AbortController', ['signal']],
  ['PerformanceEntry', ['name', 'entryType', 'startTime', 'duration']],
  ['PerformanceMark', ['name', 'entryType', 'startTime', 'duration', 'detail']],
  ['PerformanceMeasure', ['name', 'entryType', 'startTime', 'duration', 'detail']],
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
