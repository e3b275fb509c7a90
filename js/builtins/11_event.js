// DOM events (https://dom.spec.whatwg.org/#events): Event, CustomEvent, EventTarget, and the
// HTML event classes a server global needs (ErrorEvent, PromiseRejectionEvent, MessageEvent),
// event handler attributes (https://html.spec.whatwg.org/#event-handler-attributes), the
// global scope as an EventTarget, and reportError / "report an exception".
//
// All state is JS (private fields), so a listener closing over its target forms an ordinary
// JS cycle the GC collects. There is no DOM tree: an event's path is its target alone, but
// the phases run as the spec says (at the target, capture listeners first, then the others).
//
// Exported through internals:
//   internals.Event, internals.EventTarget (the classes)
//   internals.events: { dispatch(target, event), fire(target, type, Type?, init?),
//     setTrusted(event), isEvent(v), isEventTarget(v), hasListeners(target, type),
//     setListenerHook(fn), defineEventHandler(object, name, event), cancel(event) }
//   internals.reportException(error, what): HTML's "report an exception" on the global.
//   internals.now(): high-resolution milliseconds since the realm's time origin (a later
//     built-in, performance, may replace it; Event reads it at each construction).
// Run lazily (js/builtins.h), on first use of its globals; until then no listener or
// handler can exist, so the runtime reports errors and rejections without loading it
// (Realm::helper(name, false)).
// @lazy Event CustomEvent ErrorEvent PromiseRejectionEvent MessageEvent EventTarget
// @lazy reportError addEventListener removeEventListener dispatchEvent
// @lazy-replaceable onerror onunhandledrejection onrejectionhandled
// @helpers reportException unhandledRejection rejectionHandled
// @requires 01_dom_exception.js
'use strict';

const { webidl } = internals;
const { converters, makeException } = webidl;
const { uncurry, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor } = webidl.primordials;
const ReflectApply = Reflect.apply;
const ReflectConstruct = Reflect.construct;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const { PlatformObject } = webidl;
const ArrayPrototypePush = uncurry(Array.prototype.push);
const ArrayPrototypeSlice = uncurry(Array.prototype.slice);
const ArrayPrototypeSplice = uncurry(Array.prototype.splice);
const ArrayPrototypeIndexOf = uncurry(Array.prototype.indexOf);
const MapGet = uncurry(Map.prototype.get);
const MapSet = uncurry(Map.prototype.set);
const MapDelete = uncurry(Map.prototype.delete);
const ObjectFreeze = Object.freeze;
const DOMException = internals.DOMException;
const { now: monotonicNow, errorLocation, logUncaught } = natives;

// ---- time ----

// performance.now()'s clock (js/api/performance.cc: the realm's time origin, coarsened to
// 5 µs, https://w3c.github.io/hr-time/#clock-resolution), so event.timeStamp and
// performance.now() compare; without that native, a monotonic clock from this file's run.
const timeOrigin = monotonicNow();
if (internals.now === undefined) {
  internals.now = natives.performanceNow ?? (() => {
    const t = monotonicNow() - timeOrigin;
    return Math.floor(t * 200) / 200;
  });
}

// ---- Event ----

const kInternal = Symbol('internal construction');
const NONE = 0;
const CAPTURING_PHASE = 1;
const AT_TARGET = 2;
const BUBBLING_PHASE = 3;

function illegal() {
  throw new TypeError('Illegal invocation');
}

const eventInitMembers = [
  { key: 'bubbles', converter: converters.boolean, defaultValue: false },
  { key: 'cancelable', converter: converters.boolean, defaultValue: false },
  { key: 'composed', converter: converters.boolean, defaultValue: false },
];
const convertEventInit = webidl.createDictionaryConverter('EventInit', eventInitMembers);

// Event-private state, reached by the dispatch code below through these accessors (set in
// Event's static block).
let ev;

let Event;
class EventState extends PlatformObject {
  #type = '';
  #bubbles = false;
  #cancelable = false;
  #composed = false;
  #target = null;
  #currentTarget = null;
  #eventPhase = NONE;
  #timeStamp = 0;
  #isTrusted = false;
  #stopPropagation = false;
  #stopImmediatePropagation = false;
  #canceled = false;
  #inPassiveListener = false;
  #initialized = false;
  #dispatch = false;
  #pathTarget = null;  // the one item of the event's path while it is dispatched

  // https://dom.spec.whatwg.org/#concept-event-initialize, unless being dispatched.
  #init(type, bubbles, cancelable) {
    if (this.#dispatch) return;
    this.#initialized = true;
    this.#stopPropagation = false;
    this.#stopImmediatePropagation = false;
    this.#canceled = false;
    this.#isTrusted = false;
    this.#target = null;
    this.#type = type;
    this.#bubbles = bubbles;
    this.#cancelable = cancelable;
  }

  // https://dom.spec.whatwg.org/#set-the-canceled-flag
  #setCanceled() {
    if (this.#cancelable && !this.#inPassiveListener) this.#canceled = true;
  }

  static {
    Event = class Event extends null {
      constructor(type, eventInitDict = undefined) {
        let init;
        if (type === kInternal) {
          // From a subclass constructor, which converted its arguments itself.
          type = arguments[1];
          init = arguments[2];
        } else {
          const prefix = webidl.prefix('Event');
          webidl.requiredArguments(arguments.length, 1, prefix);
          type = converters.DOMString(type, prefix, 'parameter 1');
          init = convertEventInit(eventInitDict, prefix, 'parameter 2');
        }
        const self = ReflectConstruct(EventState, [], new.target);
        // [LegacyUnforgeable] isTrusted: an own accessor on every instance, one getter for all.
        ObjectDefineProperty(self, 'isTrusted', isTrustedDescriptor);
        self.#initialized = true;
        self.#timeStamp = internals.now();
        self.#type = type;
        self.#bubbles = init.bubbles;
        self.#cancelable = init.cancelable;
        self.#composed = init.composed;
        return self;
      }

      get type() {
        if (!(#type in this)) illegal();
        return this.#type;
      }
      get target() {
        if (!(#type in this)) illegal();
        return this.#target;
      }
      get srcElement() {
        if (!(#type in this)) illegal();
        return this.#target;
      }
      get currentTarget() {
        if (!(#type in this)) illegal();
        return this.#currentTarget;
      }
      composedPath() {
        if (!(#type in this)) illegal();
        return this.#pathTarget === null ? [] : [this.#pathTarget];
      }
      get eventPhase() {
        if (!(#type in this)) illegal();
        return this.#eventPhase;
      }
      stopPropagation() {
        if (!(#type in this)) illegal();
        this.#stopPropagation = true;
      }
      get cancelBubble() {
        if (!(#type in this)) illegal();
        return this.#stopPropagation;
      }
      set cancelBubble(value) {
        if (!(#type in this)) illegal();
        if (converters.boolean(value)) this.#stopPropagation = true;
      }
      stopImmediatePropagation() {
        if (!(#type in this)) illegal();
        this.#stopPropagation = true;
        this.#stopImmediatePropagation = true;
      }
      get bubbles() {
        if (!(#type in this)) illegal();
        return this.#bubbles;
      }
      get cancelable() {
        if (!(#type in this)) illegal();
        return this.#cancelable;
      }
      get returnValue() {
        if (!(#type in this)) illegal();
        return !this.#canceled;
      }
      set returnValue(value) {
        if (!(#type in this)) illegal();
        if (!converters.boolean(value)) this.#setCanceled();
      }
      preventDefault() {
        if (!(#type in this)) illegal();
        this.#setCanceled();
      }
      get defaultPrevented() {
        if (!(#type in this)) illegal();
        return this.#canceled;
      }
      get composed() {
        if (!(#type in this)) illegal();
        return this.#composed;
      }
      get timeStamp() {
        if (!(#type in this)) illegal();
        return this.#timeStamp;
      }
      initEvent(type, bubbles = false, cancelable = false) {
        if (!(#type in this)) illegal();
        const prefix = webidl.prefix('Event', 'initEvent');
        webidl.requiredArguments(arguments.length, 1, prefix);
        type = converters.DOMString(type, prefix, 'parameter 1');
        bubbles = converters.boolean(bubbles);
        cancelable = converters.boolean(cancelable);
        this.#init(type, bubbles, cancelable);
      }

      static {
        ev = {
          is: (e) => e !== null && typeof e === 'object' && #type in e,
          type: (e) => e.#type,
          bubbles: (e) => e.#bubbles,
          isTrusted: (e) => e.#isTrusted,
          setTrusted: (e) => { e.#isTrusted = true; },
          init: (e, type, bubbles, cancelable) => e.#init(type, bubbles, cancelable),
          canDispatch: (e) => e.#initialized && !e.#dispatch,
          stopped: (e) => e.#stopPropagation,
          stoppedImmediately: (e) => e.#stopImmediatePropagation,
          canceled: (e) => e.#canceled,
          cancel: (e) => e.#setCanceled(),
          setPassive: (e, passive) => { e.#inPassiveListener = passive; },
          setCurrentTarget: (e, t) => { e.#currentTarget = t; },
          setPhase: (e, phase) => { e.#eventPhase = phase; },
          begin(e, target) {
            e.#dispatch = true;
            e.#target = target;
            e.#pathTarget = target;
          },
          end(e) {
            e.#eventPhase = NONE;
            e.#currentTarget = null;
            e.#pathTarget = null;
            e.#dispatch = false;
            e.#stopPropagation = false;
            e.#stopImmediatePropagation = false;
          },
        };
      }
    };
    ObjectSetPrototypeOf(Event.prototype, Object.prototype);
  }
}

const isTrustedDescriptor = {
  get: ObjectGetOwnPropertyDescriptor({
    get isTrusted() {
      if (!ev.is(this)) illegal();
      return ev.isTrusted(this);
    },
  }, 'isTrusted').get,
  set: undefined,
  enumerable: true,
  configurable: false,
};

webidl.configureInterface(Event);
webidl.defineConstants(Event, { NONE, CAPTURING_PHASE, AT_TARGET, BUBBLING_PHASE });
internals.Event = Event;
webidl.defineGlobal('Event', Event);
internals.inspectHooks.register(Event, ['type', 'defaultPrevented', 'cancelable', 'timeStamp']);

// Subclasses: each converts its type and dictionary (the inherited EventInit members first)
// and hands them to Event's constructor as already converted.
function convertArgs(name, args, convertInit) {
  const prefix = webidl.prefix(name);
  webidl.requiredArguments(args.length, 1, prefix);
  const type = converters.DOMString(args[0], prefix, 'parameter 1');
  const init = convertInit(args[1], prefix, 'parameter 2');
  return [type, init];
}

// ---- CustomEvent ----

const convertCustomEventInit = webidl.createDictionaryConverter('CustomEventInit',
  eventInitMembers, [{ key: 'detail', converter: converters.any, defaultValue: null }]);

class CustomEvent extends Event {
  #detail = null;
  constructor(type, eventInitDict = undefined) {
    const [t, init] = convertArgs('CustomEvent', arguments, convertCustomEventInit);
    super(kInternal, t, init);
    this.#detail = init.detail;
  }
  get detail() {
    if (!(#detail in this)) illegal();
    return this.#detail;
  }
  initCustomEvent(type, bubbles = false, cancelable = false, detail = null) {
    if (!(#detail in this)) illegal();
    const prefix = webidl.prefix('CustomEvent', 'initCustomEvent');
    webidl.requiredArguments(arguments.length, 1, prefix);
    type = converters.DOMString(type, prefix, 'parameter 1');
    bubbles = converters.boolean(bubbles);
    cancelable = converters.boolean(cancelable);
    // An initialized event is never uninitialized, so canDispatch is false only while
    // this event is being dispatched: then nothing changes.
    if (!ev.canDispatch(this)) return;
    ev.init(this, type, bubbles, cancelable);
    this.#detail = detail;
  }
}
webidl.configureInterface(CustomEvent);
webidl.defineGlobal('CustomEvent', CustomEvent);

// ---- ErrorEvent (https://html.spec.whatwg.org/#the-errorevent-interface) ----

const convertErrorEventInit = webidl.createDictionaryConverter('ErrorEventInit',
  eventInitMembers, [
    { key: 'message', converter: converters.DOMString, defaultValue: '' },
    { key: 'filename', converter: converters.USVString, defaultValue: '' },
    { key: 'lineno', converter: converters['unsigned long'], defaultValue: 0 },
    { key: 'colno', converter: converters['unsigned long'], defaultValue: 0 },
    { key: 'error', converter: converters.any, defaultValue: undefined },
  ]);

class ErrorEvent extends Event {
  #message;
  #filename;
  #lineno;
  #colno;
  #error;
  constructor(type, eventInitDict = undefined) {
    const [t, init] = convertArgs('ErrorEvent', arguments, convertErrorEventInit);
    super(kInternal, t, init);
    this.#message = init.message;
    this.#filename = init.filename;
    this.#lineno = init.lineno;
    this.#colno = init.colno;
    this.#error = init.error;
  }
  get message() {
    if (!(#message in this)) illegal();
    return this.#message;
  }
  get filename() {
    if (!(#message in this)) illegal();
    return this.#filename;
  }
  get lineno() {
    if (!(#message in this)) illegal();
    return this.#lineno;
  }
  get colno() {
    if (!(#message in this)) illegal();
    return this.#colno;
  }
  get error() {
    if (!(#message in this)) illegal();
    return this.#error;
  }
  static {
    ev.isErrorEvent = (e) => e !== null && typeof e === 'object' && #message in e;
    ev.errorArgs = (e) => [e.#message, e.#filename, e.#lineno, e.#colno, e.#error];
  }
}
webidl.configureInterface(ErrorEvent);
webidl.defineGlobal('ErrorEvent', ErrorEvent);

// ---- PromiseRejectionEvent (https://html.spec.whatwg.org/#promiserejectionevent) ----

const convertPromiseRejectionEventInit = webidl.createDictionaryConverter(
  'PromiseRejectionEventInit', eventInitMembers, [
    { key: 'promise', converter: converters.object, required: true },
    { key: 'reason', converter: converters.any, defaultValue: undefined },
  ]);

class PromiseRejectionEvent extends Event {
  #promise;
  #reason;
  constructor(type, eventInitDict) {
    const prefix = webidl.prefix('PromiseRejectionEvent');
    webidl.requiredArguments(arguments.length, 2, prefix);
    const [t, init] = convertArgs('PromiseRejectionEvent', arguments,
      convertPromiseRejectionEventInit);
    super(kInternal, t, init);
    this.#promise = init.promise;
    this.#reason = init.reason;
  }
  get promise() {
    if (!(#promise in this)) illegal();
    return this.#promise;
  }
  get reason() {
    if (!(#promise in this)) illegal();
    return this.#reason;
  }
}
webidl.configureInterface(PromiseRejectionEvent);
webidl.defineGlobal('PromiseRejectionEvent', PromiseRejectionEvent);

// ---- MessageEvent (https://html.spec.whatwg.org/#the-messageevent-interface) ----

// MessageEventSource is (WindowProxy or MessagePort or ServiceWorker) and ports a
// sequence<MessagePort>: only MessagePort exists here (13_message.js, lazy: until it has
// run, internals.isMessagePort is undefined and no port exists, so nothing is one).
const isMessagePort = (V) => {
  const is = internals.isMessagePort;
  return is !== undefined && is(V);
};
const convertSource = webidl.createNullableConverter((V, prefix, context) => {
  if (!isMessagePort(V)) {
    throw makeException(TypeError, "is not of type 'MessageEventSource'.", prefix, context);
  }
  return V;
});
const convertPorts = webidl.createSequenceConverter((V, prefix, context) => {
  if (!isMessagePort(V)) {
    throw makeException(TypeError, "is not of type 'MessagePort'.", prefix, context);
  }
  return V;
});
const messageEventMembers = [
  { key: 'data', converter: converters.any, defaultValue: null },
  { key: 'origin', converter: converters.USVString, defaultValue: '' },
  { key: 'lastEventId', converter: converters.DOMString, defaultValue: '' },
  { key: 'source', converter: convertSource, defaultValue: null },
  { key: 'ports', converter: convertPorts, defaultValue: () => [] },
];
const convertMessageEventInit = webidl.createDictionaryConverter('MessageEventInit',
  eventInitMembers, messageEventMembers);

class MessageEvent extends Event {
  #data;
  #origin;
  #lastEventId;
  #source;
  #ports;
  constructor(type, eventInitDict = undefined) {
    const [t, init] = convertArgs('MessageEvent', arguments, convertMessageEventInit);
    super(kInternal, t, init);
    this.#data = init.data;
    this.#origin = init.origin;
    this.#lastEventId = init.lastEventId;
    this.#source = init.source;
    this.#ports = ObjectFreeze(init.ports);
  }
  get data() {
    if (!(#data in this)) illegal();
    return this.#data;
  }
  get origin() {
    if (!(#data in this)) illegal();
    return this.#origin;
  }
  get lastEventId() {
    if (!(#data in this)) illegal();
    return this.#lastEventId;
  }
  get source() {
    if (!(#data in this)) illegal();
    return this.#source;
  }
  get ports() {
    if (!(#data in this)) illegal();
    return this.#ports;
  }
  initMessageEvent(type, bubbles = false, cancelable = false, data = null, origin = '',
    lastEventId = '', source = null, ports = []) {
    if (!(#data in this)) illegal();
    const prefix = webidl.prefix('MessageEvent', 'initMessageEvent');
    webidl.requiredArguments(arguments.length, 1, prefix);
    type = converters.DOMString(type, prefix, 'parameter 1');
    bubbles = converters.boolean(bubbles);
    cancelable = converters.boolean(cancelable);
    origin = converters.USVString(origin, prefix, 'parameter 5');
    lastEventId = converters.DOMString(lastEventId, prefix, 'parameter 6');
    source = convertSource(source, prefix, 'parameter 7');
    ports = convertPorts(ports, prefix, 'parameter 8');
    if (!ev.canDispatch(this)) return;  // being dispatched
    ev.init(this, type, bubbles, cancelable);
    this.#data = data;
    this.#origin = origin;
    this.#lastEventId = lastEventId;
    this.#source = source;
    this.#ports = ObjectFreeze(ports);
  }
}
webidl.configureInterface(MessageEvent);
webidl.defineGlobal('MessageEvent', MessageEvent);

// ---- EventTarget ----

// The global object is an EventTarget too (its state lives here, as it cannot have
// EventTarget's private fields).
const globalState = { listeners: null, handlers: null };
let et;
let listenerHook = null;  // (target, type) after a listener is added or removed

// An event listener (https://dom.spec.whatwg.org/#concept-event-listener).
function Listener(type, callback, capture, passive, once, signal) {
  this.type = type;
  this.callback = callback;
  this.capture = capture;
  this.passive = passive;
  this.once = once;
  this.signal = signal;
  this.abortAlgorithm = null;
  this.removed = false;
}

const convertEventListenerOptions = webidl.createDictionaryConverter('EventListenerOptions', [
  { key: 'capture', converter: converters.boolean, defaultValue: false },
]);
const convertSignal = (V, prefix, context) => {
  const abort = internals.abort;
  if (abort === undefined || !abort.isSignal(V)) {
    throw makeException(TypeError, "is not of type 'AbortSignal'.", prefix, context);
  }
  return V;
};
const convertAddEventListenerOptions = webidl.createDictionaryConverter(
  'AddEventListenerOptions', [
    { key: 'capture', converter: converters.boolean, defaultValue: false },
  ], [
    { key: 'passive', converter: converters.boolean },
    { key: 'once', converter: converters.boolean, defaultValue: false },
    { key: 'signal', converter: convertSignal },
  ]);

// (EventListenerOptions or boolean): an object, null or undefined is the dictionary.
function flattenOptions(options, convert, prefix) {
  if (options === undefined || options === null || typeof options === 'object' ||
      typeof options === 'function') {
    return convert(options, prefix, 'parameter 3');
  }
  return { capture: converters.boolean(options) };
}

function convertCallback(callback, prefix) {
  if (callback === undefined || callback === null) return null;
  return webidl.callbackInterface(callback, prefix, 'parameter 2');
}

// The listener state of `self` (an EventTarget or the global object); undefined `this` is
// the global, as WebIDL says for operations.
function stateOf(self) {
  if (self === undefined || self === null || self === globalThis) return globalState;
  const s = et.state(self);
  if (s === undefined) illegal();
  return s;
}

function findListener(list, type, callback, capture) {
  for (let i = 0; i < list.length; ++i) {
    const l = list[i];
    if (l.callback === callback && l.capture === capture) return i;
  }
  return -1;
}

// https://dom.spec.whatwg.org/#add-an-event-listener
function addListener(target, state, listener) {
  const signal = listener.signal;
  if (signal !== undefined && internals.abort.aborted(signal)) return;
  if (listener.callback === null) return;
  if (state.listeners === null) state.listeners = new Map();
  let list = MapGet(state.listeners, listener.type);
  if (list === undefined) {
    list = [];
    MapSet(state.listeners, listener.type, list);
  } else if (findListener(list, listener.type, listener.callback, listener.capture) !== -1) {
    return;
  }
  ArrayPrototypePush(list, listener);
  if (signal !== undefined) {
    listener.abortAlgorithm = () => removeListener(target, state, listener);
    internals.abort.addAlgorithm(signal, listener.abortAlgorithm);
  }
  if (listenerHook !== null) listenerHook(target, listener.type);
}

// https://dom.spec.whatwg.org/#remove-an-event-listener
function removeListener(target, state, listener) {
  listener.removed = true;
  const list = state.listeners === null ? undefined : MapGet(state.listeners, listener.type);
  if (list === undefined) return;
  const i = ArrayPrototypeIndexOf(list, listener);
  if (i === -1) return;
  ArrayPrototypeSplice(list, i, 1);
  if (list.length === 0) MapDelete(state.listeners, listener.type);
  if (listener.abortAlgorithm !== null) {
    internals.abort.removeAlgorithm(listener.signal, listener.abortAlgorithm);
    listener.abortAlgorithm = null;
  }
  if (listenerHook !== null) listenerHook(target, listener.type);
}

let EventTarget;
class EventTargetState extends PlatformObject {
  #state = { listeners: null, handlers: null };

  static {
    EventTarget = class EventTarget extends null {
      constructor() {
        return ReflectConstruct(EventTargetState, [], new.target);
      }

      addEventListener(type, callback, options = undefined) {
        const state = stateOf(this);
        const prefix = webidl.prefix('EventTarget', 'addEventListener');
        webidl.requiredArguments(arguments.length, 2, prefix);
        type = converters.DOMString(type, prefix, 'parameter 1');
        callback = convertCallback(callback, prefix);
        const o = flattenOptions(options, convertAddEventListenerOptions, prefix);
        // Not a window, so a missing `passive` is false (https://dom.spec.whatwg.org/#default-passive-value).
        const listener = new Listener(type, callback, o.capture, o.passive === true, o.once,
          o.signal);
        addListener(this ?? globalThis, state, listener);
      }

      removeEventListener(type, callback, options = undefined) {
        const state = stateOf(this);
        const prefix = webidl.prefix('EventTarget', 'removeEventListener');
        webidl.requiredArguments(arguments.length, 2, prefix);
        type = converters.DOMString(type, prefix, 'parameter 1');
        callback = convertCallback(callback, prefix);
        const { capture } = flattenOptions(options, convertEventListenerOptions, prefix);
        if (state.listeners === null || callback === null) return;
        const list = MapGet(state.listeners, type);
        if (list === undefined) return;
        const i = findListener(list, type, callback, capture);
        if (i !== -1) removeListener(this ?? globalThis, state, list[i]);
      }

      dispatchEvent(event) {
        stateOf(this);
        const prefix = webidl.prefix('EventTarget', 'dispatchEvent');
        webidl.requiredArguments(arguments.length, 1, prefix);
        if (!ev.is(event)) {
          throw makeException(TypeError, "is not of type 'Event'.", prefix, 'parameter 1');
        }
        if (!ev.canDispatch(event)) {
          throw new DOMException(`${prefix}: The event is already being dispatched or was not ` +
            'initialized.', 'InvalidStateError');
        }
        return dispatch(this ?? globalThis, event, false);
      }

      static {
        et = {
          state: (t) => (t !== null && typeof t === 'object' && #state in t ? t.#state : undefined),
        };
      }
    };
    ObjectSetPrototypeOf(EventTarget.prototype, Object.prototype);
  }
}
webidl.configureInterface(EventTarget);
internals.EventTarget = EventTarget;
webidl.defineGlobal('EventTarget', EventTarget);

// https://dom.spec.whatwg.org/#concept-event-dispatch, for a path of one target.
function dispatch(target, event, trusted) {
  if (trusted) ev.setTrusted(event);
  ev.begin(event, target);
  try {
    const state = target === globalThis ? globalState : et.state(target);
    ev.setPhase(event, AT_TARGET);
    invoke(target, state, event, CAPTURING_PHASE);
    ev.setPhase(event, AT_TARGET);
    invoke(target, state, event, BUBBLING_PHASE);
  } finally {
    ev.end(event);
  }
  return !ev.canceled(event);
}

// https://dom.spec.whatwg.org/#concept-event-listener-invoke
function invoke(target, state, event, phase) {
  if (ev.stopped(event)) return;
  ev.setCurrentTarget(event, target);
  if (state === undefined || state.listeners === null) return;
  const list = MapGet(state.listeners, ev.type(event));
  if (list === undefined) return;
  // Listeners added from now on are not called for this event; removed ones are skipped.
  const listeners = ArrayPrototypeSlice(list);
  for (let i = 0; i < listeners.length; ++i) {
    const listener = listeners[i];
    if (listener.removed) continue;
    if (phase === CAPTURING_PHASE ? !listener.capture : listener.capture) continue;
    if (listener.once) removeListener(target, state, listener);
    if (listener.passive) ev.setPassive(event, true);
    callListener(listener.callback, target, event);
    ev.setPassive(event, false);
    if (ev.stoppedImmediately(event)) return;
  }
}

// Calls a callback interface: a function with this = currentTarget, or the object's
// handleEvent, read now. An exception is reported, and the dispatch goes on.
function callListener(callback, target, event) {
  try {
    if (typeof callback === 'function') {
      ReflectApply(callback, target, [event]);
    } else {
      const handleEvent = callback.handleEvent;
      if (typeof handleEvent !== 'function') {
        throw new TypeError("Failed to execute 'handleEvent' on 'EventListener': " +
          "the listener's 'handleEvent' property is not callable.");
      }
      ReflectApply(handleEvent, callback, [event]);
    }
  } catch (error) {
    reportException(error);
  }
}

// Installs EventTarget's operations on the global object, which works as an EventTarget
// with `this` = globalThis (or undefined, in a bare call).
for (const key of ['addEventListener', 'removeEventListener', 'dispatchEvent']) {
  webidl.defineGlobal(key, EventTarget.prototype[key]);
}

// ---- event handler attributes (https://html.spec.whatwg.org/#event-handler-attributes) ----

function handlersOf(target) {
  const state = target === globalThis ? globalState : et.state(target);
  if (state.handlers === null) state.handlers = new Map();
  return state.handlers;
}

// https://html.spec.whatwg.org/#the-event-handler-processing-algorithm
function processHandler(target, name, event) {
  const handler = MapGet(handlersOf(target), name);
  const callback = handler === undefined ? null : handler.value;
  // [LegacyTreatNonObjectAsNull]: a non-callable object does nothing.
  if (typeof callback !== 'function') return;
  let returnValue;
  const special = name === 'onerror' && target === globalThis && ev.isErrorEvent(event) &&
    ev.type(event) === 'error';
  if (special) {
    returnValue = ReflectApply(callback, target, ev.errorArgs(event));
    if (returnValue === true) ev.cancel(event);
  } else {
    returnValue = ReflectApply(callback, target, [event]);
    if (returnValue === false) ev.cancel(event);
  }
}

function getHandler(target, name) {
  const handler = MapGet(handlersOf(target), name);
  return handler === undefined ? null : handler.value;
}

function setHandler(target, name, eventType, value) {
  // [LegacyTreatNonObjectAsNull] EventHandler: anything but an object is null.
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    value = null;
  }
  const state = target === globalThis ? globalState : et.state(target);
  const handlers = handlersOf(target);
  let handler = MapGet(handlers, name);
  if (value === null) {
    // Deactivate: the listener leaves the list; a later handler is added at its end.
    if (handler !== undefined && handler.listener !== null) {
      removeListener(target, state, handler.listener);
      handler.listener = null;
    }
    if (handler !== undefined) handler.value = null;
    return;
  }
  if (handler === undefined) {
    handler = { value: null, listener: null };
    MapSet(handlers, name, handler);
  }
  handler.value = value;
  if (handler.listener === null) {
    const callback = function (event) { processHandler(target, name, event); };
    handler.listener = new Listener(eventType, callback, false, false, false, undefined);
    addListener(target, state, handler.listener);
  }
}

// Defines the `name` (e.g. 'onabort') event handler IDL attribute on `object` (a
// prototype whose instances are EventTargets, or the global object) for events of type
// `eventType`.
function defineEventHandler(object, name, eventType) {
  const isGlobal = object === globalThis;
  const accessors = {
    get [name]() {
      const self = isGlobal && (this === undefined || this === null) ? globalThis : this;
      if (self !== globalThis && et.state(self) === undefined) illegal();
      return getHandler(self, name);
    },
    set [name](value) {
      const self = isGlobal && (this === undefined || this === null) ? globalThis : this;
      if (self !== globalThis && et.state(self) === undefined) illegal();
      setHandler(self, name, eventType, value);
    },
  };
  const desc = ObjectGetOwnPropertyDescriptor(accessors, name);
  ObjectDefineProperty(object, name, {
    get: desc.get, set: desc.set, enumerable: true, configurable: true,
  });
}

defineEventHandler(globalThis, 'onerror', 'error');
defineEventHandler(globalThis, 'onunhandledrejection', 'unhandledrejection');
defineEventHandler(globalThis, 'onrejectionhandled', 'rejectionhandled');

// ---- reporting exceptions (https://html.spec.whatwg.org/#report-an-exception) ----

let reporting = false;  // the global's error reporting mode

// Dispatches a cancelable ErrorEvent 'error' at the global; unless a listener cancels it,
// the error is logged as uncaught (and counted: `torus run` exits 1). An error thrown while
// reporting one is logged at once.
function reportException(error, what = 'Uncaught') {
  if (reporting) {
    logUncaught(what, error);
    return;
  }
  const [message, filename, lineno, colno] = errorLocation(error);
  let notCanceled = true;
  reporting = true;
  try {
    const event = new ErrorEvent('error', {
      cancelable: true, message, filename, lineno, colno, error,
    });
    notCanceled = dispatch(globalThis, event, true);
  } finally {
    reporting = false;
  }
  if (notCanceled) logUncaught(what, error);
}
internals.reportException = reportException;
natives.setHelper('reportException', reportException);

webidl.defineGlobal('reportError', function reportError(e) {
  webidl.requiredArguments(arguments.length, 1, "Failed to execute 'reportError'");
  reportException(e);
});

// An unhandled rejection, from the runtime after a microtask checkpoint: a cancelable
// PromiseRejectionEvent 'unhandledrejection' at the global. Returns whether it is still
// unhandled (not canceled), and so should be logged.
natives.setHelper('unhandledRejection', function unhandledRejection(promise, reason) {
  const event = new PromiseRejectionEvent('unhandledrejection', {
    cancelable: true, promise, reason,
  });
  return dispatch(globalThis, event, true);
});
// A rejection reported unhandled and handled since: a PromiseRejectionEvent
// 'rejectionhandled' at the global, not cancelable.
natives.setHelper('rejectionHandled', function rejectionHandled(promise, reason) {
  dispatch(globalThis, new PromiseRejectionEvent('rejectionhandled', { promise, reason }), true);
});
// ---- for the other built-ins ----

function fire(target, type, Type = Event, init = undefined) {
  const event = new Type(type, init);
  return dispatch(target, event, true);
}

internals.events = {
  dispatch: (target, event) => dispatch(target, event, false),
  fire,
  setTrusted: ev.setTrusted,
  cancel: ev.cancel,
  isEvent: ev.is,
  isEventTarget: (v) => v === globalThis || et.state(v) !== undefined,
  hasListeners(target, type) {
    const state = target === globalThis ? globalState : et.state(target);
    if (state === undefined || state.listeners === null) return false;
    return MapGet(state.listeners, type) !== undefined;
  },
  setListenerHook(fn) { listenerHook = fn; },
  defineEventHandler,
};

// Performance is an EventTarget (https://w3c.github.io/hr-time/#sec-performance), defined
// in 03_performance.js, which runs lazily (after this file) or, if something touched it
// first, before: whichever runs second fixes up its chain and stamps EventTarget's state on
// its one instance, a platform object.
internals.events.adoptEventTarget = (Interface, instance) => {
  Object.setPrototypeOf(Interface, EventTarget);
  Object.setPrototypeOf(Interface.prototype, EventTarget.prototype);
  new EventTargetState(instance);
};
if (internals.performance !== undefined) {
  const performance = internals.performance;
  internals.events.adoptEventTarget(ObjectGetOwnPropertyDescriptor(
    Object.getPrototypeOf(performance), 'constructor').value, performance);
}
