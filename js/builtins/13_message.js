// MessageChannel and MessagePort (https://html.spec.whatwg.org/multipage/web-messaging.html),
// within one realm: torus has one isolate per worker thread and nothing crosses threads, so
// both ends of a channel always live here. (MessageEvent is in 11_event.js.)
//
// A port's state is a record shared by the two ends' records through `peer`; the record
// names the MessagePort object that currently owns it (`port`). Transferring a port (in
// postMessage's or structuredClone's transfer list) makes a new MessagePort own the record
// (its entanglement and its queued messages, the queue disabled again, as HTML's transfer
// steps say) and leaves the old object detached with a dead record.
//
// A message is serialized and deserialized at postMessage time (in one realm deserializing
// later would observe nothing more: the graph has no getters left to run), and its delivery
// is a task: natives.queueTask (js/api/timers.cc: a zero-delay timer outside the timer
// nesting level, so a ping-pong is not clamped to 4 ms), read at call time (the timers are
// installed by js/runtime.cc after the built-ins run; see 12_abort.js), one message per task,
// in order. A port keeps the loop alive only while a message is queued on an enabled port: a
// started port with nothing to deliver holds no timer. A port queues at most kMaxQueued
// messages; one more is a QuotaExceededError DOMException (HTML sets no limit).
//
// internals.transferClone(value, transferList) is structuredClone with MessagePorts allowed
// in the transfer list (02_structured_clone.js calls it once this file has run).
// Run lazily (js/builtins.h), on first use of its globals:
// @requires 01_dom_exception.js 02_structured_clone.js 11_event.js
// @lazy MessageChannel MessagePort
'use strict';

const { webidl, events, DOMException, EventTarget, cloneHooks } = internals;
const { converters } = webidl;
const { uncurry } = webidl.primordials;
const ReflectApply = Reflect.apply;
const ReflectConstruct = Reflect.construct;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ObjectDefineProperty = Object.defineProperty;
const ArrayPrototypePush = uncurry(Array.prototype.push);
const ArrayPrototypeShift = uncurry(Array.prototype.shift);
const ArrayPrototypeIndexOf = uncurry(Array.prototype.indexOf);
const WeakMapGet = uncurry(WeakMap.prototype.get);
const WeakMapSet = uncurry(WeakMap.prototype.set);
const SymbolIterator = Symbol.iterator;
const { PlatformObject } = webidl;
const MessageEvent = globalThis.MessageEvent;
const nativeClone = natives.structuredClone;
const SharedArrayBufferCtor = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer
  : class {};

const kInternal = Symbol('internal construction');
const kMaxQueued = 1 << 20;
const portRecords = new WeakMap();     // MessagePort -> its record
const channelPorts = new WeakMap();    // MessageChannel -> [port1, port2]

function illegal() {
  throw new TypeError('Illegal invocation');
}

function newRecord(port) {
  return {
    port,            // the MessagePort that owns this record
    peer: null,      // the entangled port's record
    queue: [],       // [data, ports] messages not yet delivered
    enabled: false,  // the port message queue (start(), or setting onmessage)
    detached: false, // [[Detached]]: closed, or transferred away
    timer: false,    // a delivery task is scheduled
  };
}

function recordOf(port) {
  const r = port !== null && typeof port === 'object' ? WeakMapGet(portRecords, port) : undefined;
  if (r === undefined) illegal();
  return r;
}

class MessagePort extends EventTarget {
  constructor(token = undefined) {
    if (token !== kInternal) webidl.illegalConstructor();
    super();
  }

  postMessage(message, options = undefined) {
    const r = recordOf(this);
    const prefix = webidl.prefix('MessagePort', 'postMessage');
    webidl.requiredArguments(arguments.length, 1, prefix);
    const transfer = convertTransfer(options, prefix);
    postMessageSteps(r, message, transfer, prefix);
  }

  start() {
    const r = recordOf(this);
    if (r.enabled) return;
    r.enabled = true;
    schedule(r);
  }

  close() {
    const r = recordOf(this);
    r.detached = true;
    const peer = r.peer;
    if (peer !== null) {
      peer.peer = null;
      r.peer = null;
    }
  }
}

// postMessage(message, sequence<object> transfer) or (message, optional
// StructuredSerializeOptions options = {}): an object with @@iterator is the sequence.
const toTransferList = webidl.createSequenceConverter(converters.object);
const toOptions = webidl.createDictionaryConverter('StructuredSerializeOptions', [
  { key: 'transfer', converter: toTransferList, defaultValue: () => [] },
]);
function convertTransfer(options, prefix) {
  if (options === undefined) return [];
  const t = webidl.type(options);
  if (t === 'Object') {
    const method = options[SymbolIterator];
    if (method !== undefined && method !== null) {
      return toTransferList(options, prefix, 'parameter 2');
    }
  }
  return toOptions(options, prefix, 'parameter 2').transfer;
}

// https://html.spec.whatwg.org/multipage/web-messaging.html#message-port-post-message-steps
function postMessageSteps(r, message, transfer, prefix) {
  const target = r.peer;
  for (let i = 0; i < transfer.length; ++i) {
    if (transfer[i] === r.port) {
      throw new DOMException(`${prefix}: the source port cannot be in the transfer list.`,
        'DataCloneError');
    }
  }
  // Transferring the target port dooms the message (the channel is lost): it is still
  // serialized (and its transferables moved), but not delivered.
  let doomed = false;
  if (target !== null) {
    for (let i = 0; i < transfer.length; ++i) {
      if (transfer[i] === target.port) doomed = true;
    }
  }
  if (target !== null && target.queue.length >= kMaxQueued) {
    throw new DOMException(`${prefix}: the target port has ${kMaxQueued} messages queued ` +
      'already (the limit).', 'QuotaExceededError');
  }
  const [data, ports] = transferClone(message, transfer, prefix, true);
  if (target === null || doomed) return;
  ArrayPrototypePush(target.queue, [data, ports]);
  schedule(target);
}

function schedule(r) {
  if (r.timer || !r.enabled || r.queue.length === 0) return;
  const queueTask = natives.queueTask;
  if (typeof queueTask !== 'function') return;  // no event loop in this realm
  ReflectApply(queueTask, undefined, [() => deliver(r)]);
  r.timer = true;
}

// One task: the first queued message, fired at the port that owns the record now.
function deliver(r) {
  r.timer = false;
  if (!r.enabled || r.queue.length === 0) return;
  const [data, ports] = ArrayPrototypeShift(r.queue);
  schedule(r);
  events.fire(r.port, 'message', MessageEvent, { data, ports });
}

// ---- transfer ----

// The ports of the clone in progress (a getter may start another clone: each has its own).
let current = null;

function isPort(v) {
  return v !== null && typeof v === 'object' && WeakMapGet(portRecords, v) !== undefined;
}

// StructuredSerializeWithTransfer then StructuredDeserializeWithTransfer, with MessagePorts
// allowed in transfer. Returns the clone, or [clone, newPorts] when withPorts.
function transferClone(value, transfer, prefix = "Failed to execute 'structuredClone'",
  withPorts = false) {
  const ports = [];
  const others = [];
  for (let i = 0; i < transfer.length; ++i) {
    const item = transfer[i];
    if (!isPort(item)) {
      // Checked here too, so that the error names the item's index in the whole list (the
      // native clone sees the ArrayBuffers only).
      if (!webidl.isArrayBuffer(item)) {
        throw new DOMException(`${prefix}: ${item instanceof SharedArrayBufferCtor
          ? 'SharedArrayBuffer' : 'value'} at index ${i} of the transfer list is not ` +
          'transferable.', 'DataCloneError');
      }
      if (ArrayPrototypeIndexOf(others, item) !== -1) {
        throw new DOMException(`${prefix}: ArrayBuffer at index ${i} is a duplicate of an ` +
          'earlier ArrayBuffer.', 'DataCloneError');
      }
      ArrayPrototypePush(others, item);
      continue;
    }
    if (ArrayPrototypeIndexOf(ports, item) !== -1) {
      throw new DOMException(`${prefix}: MessagePort at index ${i} is a duplicate of an ` +
        'earlier MessagePort.', 'DataCloneError');
    }
    if (WeakMapGet(portRecords, item).detached) {
      throw new DOMException(`${prefix}: MessagePort at index ${i} is detached (closed or ` +
        'already transferred).', 'DataCloneError');
    }
    ArrayPrototypePush(ports, item);
  }
  if (ports.length === 0 && !withPorts) return nativeClone(value, others);
  const saved = current;
  current = ports;
  let out;
  try {
    out = nativeClone([value, ports], others);
  } finally {
    current = saved;
  }
  // The clone succeeded: the new ports take the records over, the old ones are detached.
  const newPorts = out[1];
  for (let i = 0; i < ports.length; ++i) {
    const r = WeakMapGet(portRecords, ports[i]);
    const dead = newRecord(ports[i]);
    dead.detached = true;
    WeakMapSet(portRecords, ports[i], dead);
    r.port = newPorts[i];
    r.enabled = false;
    WeakMapSet(portRecords, newPorts[i], r);
  }
  return withPorts ? out : out[0];
}

// A MessagePort is transferable, not serializable: the hook gives its place in the current
// transfer list, and a port outside it is a DataCloneError. The new object gets its
// EventTarget state here and its record once the whole clone has succeeded.
cloneHooks.register(MessagePort, {
  serialize(port) {
    const i = current === null ? -1 : ArrayPrototypeIndexOf(current, port);
    if (i === -1) {
      throw new DOMException('MessagePort object could not be cloned: it is not in the ' +
        'transfer list.', 'DataCloneError');
    }
    return i;
  },
  deserialize(object) {
    events.adoptEventTarget(MessagePort, object);
  },
});

webidl.configureInterface(MessagePort);
events.defineEventHandler(MessagePort.prototype, 'onmessage', 'message');
events.defineEventHandler(MessagePort.prototype, 'onmessageerror', 'messageerror');
// Setting onmessage starts the port (https://html.spec.whatwg.org/#dom-messageport-onmessage).
{
  const desc = ObjectGetOwnPropertyDescriptor(MessagePort.prototype, 'onmessage');
  const set = desc.set;
  const start = MessagePort.prototype.start;
  const accessors = {
    set onmessage(value) {
      ReflectApply(set, this, [value]);
      ReflectApply(start, this, []);
    },
  };
  ObjectDefineProperty(MessagePort.prototype, 'onmessage', {
    get: desc.get,
    set: ObjectGetOwnPropertyDescriptor(accessors, 'onmessage').set,
    enumerable: true,
    configurable: true,
  });
}
webidl.defineGlobal('MessagePort', MessagePort);

function createPort() {
  const port = new MessagePort(kInternal);
  WeakMapSet(portRecords, port, newRecord(port));
  return port;
}

const MessageChannel = class MessageChannel extends null {
  constructor() {
    const self = ReflectConstruct(PlatformObject, [], new.target);
    const port1 = createPort();
    const port2 = createPort();
    const r1 = WeakMapGet(portRecords, port1);
    const r2 = WeakMapGet(portRecords, port2);
    r1.peer = r2;
    r2.peer = r1;
    WeakMapSet(channelPorts, self, [port1, port2]);
    return self;
  }
  get port1() {
    const ports = WeakMapGet(channelPorts, this);
    if (ports === undefined) illegal();
    return ports[0];
  }
  get port2() {
    const ports = WeakMapGet(channelPorts, this);
    if (ports === undefined) illegal();
    return ports[1];
  }
};
ObjectSetPrototypeOf(MessageChannel.prototype, Object.prototype);
webidl.configureInterface(MessageChannel);
webidl.defineGlobal('MessageChannel', MessageChannel);
internals.inspectHooks.register(MessageChannel, ['port1', 'port2']);

internals.isMessagePort = isPort;
internals.transferClone = transferClone;
