// AbortController and AbortSignal (https://dom.spec.whatwg.org/#aborting-ongoing-activities).
//
// Dependent signals (AbortSignal.any) follow the spec's algorithm: a dependent signal is
// linked to the non-dependent source signals only, so events fire source first, then the
// dependents in creation order. A source holds its dependents weakly (WeakRef), so
// AbortSignal.any([longLivedSignal]) in a loop leaks nothing; a dependent that has abort
// listeners or abort algorithms is held strongly by its sources while it is not aborted,
// as https://dom.spec.whatwg.org/#abortsignal-gc requires (someone will observe it).
//
// AbortSignal.timeout(ms) uses the runtime's timers through natives.setTimeout, read at
// call time: timers are installed by js/runtime.cc after the built-ins run, and reading
// them from natives (not globalThis) keeps user code that replaces setTimeout out of it.
//
// Exported as internals.abort: { isSignal, aborted, reason, addAlgorithm, removeAlgorithm,
// signalAbort, createSignal, createDependent(arrayOfSignals) }.
// Run lazily (js/builtins.h), on first use of its globals:
// @requires 01_dom_exception.js 11_event.js
// @lazy AbortSignal AbortController
'use strict';

const { webidl, events, DOMException, EventTarget } = internals;
const { converters, makeException } = webidl;
const { uncurry } = webidl.primordials;
const ReflectApply = Reflect.apply;
const ReflectConstruct = Reflect.construct;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const { PlatformObject } = webidl;
const ArrayPrototypePush = uncurry(Array.prototype.push);
const SetAdd = uncurry(Set.prototype.add);
const SetDelete = uncurry(Set.prototype.delete);
const SetHas = uncurry(Set.prototype.has);
const SetValues = uncurry(Set.prototype.values);
const SetIteratorNext = uncurry(Object.getPrototypeOf(new Set().values()).next);
const WeakRefDeref = uncurry(WeakRef.prototype.deref);
const WeakRefCtor = WeakRef;

const kInternal = Symbol('internal construction');

function illegal() {
  throw new TypeError('Illegal invocation');
}

// A snapshot of a Set's values (user code cannot patch the iteration).
function setToArray(set) {
  const out = [];
  if (set === null) return out;
  const it = SetValues(set);
  for (;;) {
    const r = SetIteratorNext(it);
    if (r.done) return out;
    ArrayPrototypePush(out, r.value);
  }
}

let sig;

class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;
  #algorithms = null;         // Set of functions, run once on abort
  #dependent = false;
  #sources = null;            // [WeakRef<AbortSignal>], for a dependent signal
  #dependents = null;         // Set<WeakRef<AbortSignal>>, for a source signal
  #dependentRefs = null;      // this signal's WeakRef in its sources' #dependents
  #strongDependents = null;   // Set<AbortSignal>: dependents someone observes
  #sweepAt = 64;              // #dependents' size at which dead WeakRefs are all dropped
  #sweepIter = null;          // the incremental sweep's place in #dependents

  constructor(token = undefined) {
    if (token !== kInternal) webidl.illegalConstructor();
    super();
  }

  static abort(reason = undefined) {
    const signal = createSignal();
    signal.#aborted = true;
    signal.#reason = reason !== undefined ? reason
      : new DOMException('signal is aborted without reason', 'AbortError');
    return signal;
  }

  static timeout(milliseconds) {
    const prefix = webidl.prefix('AbortSignal', 'timeout');
    webidl.requiredArguments(arguments.length, 1, prefix);
    milliseconds = converters['unsigned long long'](milliseconds, prefix, 'parameter 1',
      { enforceRange: true });
    const setTimer = natives.setTimeout;
    if (typeof setTimer !== 'function') {
      throw new DOMException(`${prefix}: timers are not available in this realm.`,
        'NotSupportedError');
    }
    const signal = createSignal();
    ReflectApply(setTimer, undefined, [() => {
      signalAbort(signal, new DOMException('signal timed out', 'TimeoutError'));
    }, milliseconds]);
    return signal;
  }

  // https://dom.spec.whatwg.org/#create-a-dependent-abort-signal
  static any(signals) {
    const prefix = webidl.prefix('AbortSignal', 'any');
    webidl.requiredArguments(arguments.length, 1, prefix);
    return AbortSignal.#dependentFrom(convertSignals(signals, prefix, 'parameter 1'));
  }

  // https://dom.spec.whatwg.org/#create-a-dependent-abort-signal, on an array of signals
  // (also for Request's signal, through internals.abort.createDependent).
  static #dependentFrom(signals) {
    const result = createSignal();
    for (let i = 0; i < signals.length; ++i) {
      const s = signals[i];
      if (s.#aborted) {
        result.#aborted = true;
        result.#reason = s.#reason;
        return result;
      }
    }
    result.#dependent = true;
    const ref = new WeakRefCtor(result);
    result.#dependentRefs = ref;
    result.#sources = [];
    const seen = new Set();
    const link = (source) => {
      if (SetHas(seen, source)) return;
      SetAdd(seen, source);
      ArrayPrototypePush(result.#sources, new WeakRefCtor(source));
      if (source.#dependents === null) source.#dependents = new Set();
      source.#sweepStep();
      SetAdd(source.#dependents, ref);
    };
    for (let i = 0; i < signals.length; ++i) {
      const s = signals[i];
      if (!s.#dependent) {
        link(s);
      } else if (s.#sources !== null) {
        for (let j = 0; j < s.#sources.length; ++j) {
          const source = WeakRefDeref(s.#sources[j]);
          if (source !== undefined && !source.#aborted) link(source);
        }
      }
    }
    return result;
  }

  get aborted() {
    if (!(#aborted in this)) illegal();
    return this.#aborted;
  }

  get reason() {
    if (!(#aborted in this)) illegal();
    return this.#reason;
  }

  throwIfAborted() {
    if (!(#aborted in this)) illegal();
    if (this.#aborted) throw this.#reason;
  }

  // Drops the WeakRefs of collected dependents, a little at each new link (two entries, so
  // the dead of a burst are gone after half as many new links), and all of them when the
  // set has doubled since the last full sweep: O(1) amortized per link, and the set never
  // holds more than twice its live entries for long.
  #sweepStep() {
    const set = this.#dependents;
    if (set.size >= this.#sweepAt) {
      this.#sweep();
      return;
    }
    if (this.#sweepIter === null) this.#sweepIter = SetValues(set);
    for (let n = 0; n < 2; ++n) {
      const r = SetIteratorNext(this.#sweepIter);
      if (r.done) {
        this.#sweepIter = null;
        return;
      }
      if (WeakRefDeref(r.value) === undefined) SetDelete(set, r.value);
    }
  }

  #sweep() {
    this.#sweepIter = null;
    const refs = setToArray(this.#dependents);
    for (let i = 0; i < refs.length; ++i) {
      if (WeakRefDeref(refs[i]) === undefined) SetDelete(this.#dependents, refs[i]);
    }
    this.#sweepAt = Math.max(64, this.#dependents.size * 2);
  }

  // A dependent signal is held strongly by its sources while it is observed (abort
  // listeners, or abort algorithms) and not aborted; weakly otherwise.
  #updateKeepAlive() {
    if (!this.#dependent || this.#sources === null) return;
    const observed = !this.#aborted &&
      ((this.#algorithms !== null && this.#algorithms.size > 0) ||
       events.hasListeners(this, 'abort'));
    for (let i = 0; i < this.#sources.length; ++i) {
      const source = WeakRefDeref(this.#sources[i]);
      if (source === undefined) continue;
      if (observed) {
        if (source.#strongDependents === null) source.#strongDependents = new Set();
        SetAdd(source.#strongDependents, this);
      } else if (source.#strongDependents !== null) {
        SetDelete(source.#strongDependents, this);
      }
    }
  }

  // https://dom.spec.whatwg.org/#abortsignal-signal-abort
  static #signalAbort(signal, reason) {
    if (signal.#aborted) return;
    signal.#aborted = true;
    signal.#reason = reason !== undefined ? reason
      : new DOMException('signal is aborted without reason', 'AbortError');
    const toAbort = [];
    const refs = setToArray(signal.#dependents);
    signal.#dependents = null;
    signal.#sweepIter = null;
    signal.#strongDependents = null;
    for (let i = 0; i < refs.length; ++i) {
      const dependent = WeakRefDeref(refs[i]);
      if (dependent === undefined || dependent.#aborted) continue;
      dependent.#aborted = true;
      dependent.#reason = signal.#reason;
      ArrayPrototypePush(toAbort, dependent);
    }
    AbortSignal.#runAbortSteps(signal);
    for (let i = 0; i < toAbort.length; ++i) AbortSignal.#runAbortSteps(toAbort[i]);
  }

  // https://dom.spec.whatwg.org/#run-the-abort-steps
  static #runAbortSteps(signal) {
    const algorithms = setToArray(signal.#algorithms);
    signal.#algorithms = null;
    for (let i = 0; i < algorithms.length; ++i) {
      try {
        algorithms[i]();
      } catch (error) {
        internals.reportException(error);
      }
    }
    events.fire(signal, 'abort');
    signal.#unlink();
  }

  // An aborted dependent no longer needs its sources, nor they it.
  #unlink() {
    if (this.#sources === null) return;
    for (let i = 0; i < this.#sources.length; ++i) {
      const source = WeakRefDeref(this.#sources[i]);
      if (source === undefined) continue;
      if (source.#dependents !== null) SetDelete(source.#dependents, this.#dependentRefs);
      if (source.#strongDependents !== null) SetDelete(source.#strongDependents, this);
    }
    this.#sources = null;
  }

  static {
    sig = {
      isSignal: (v) => v !== null && typeof v === 'object' && #aborted in v,
      aborted: (s) => s.#aborted,
      reason: (s) => s.#reason,
      addAlgorithm(s, fn) {
        if (s.#aborted) return;
        if (s.#algorithms === null) s.#algorithms = new Set();
        SetAdd(s.#algorithms, fn);
        if (s.#dependent) s.#updateKeepAlive();
      },
      removeAlgorithm(s, fn) {
        if (s.#algorithms === null) return;
        SetDelete(s.#algorithms, fn);
        if (s.#dependent) s.#updateKeepAlive();
      },
      signalAbort: (s, reason) => AbortSignal.#signalAbort(s, reason),
      createDependent: (signals) => AbortSignal.#dependentFrom(signals),
      listenersChanged(target, type) {
        if (type === 'abort' && #aborted in target && target.#dependent) {
          target.#updateKeepAlive();
        }
      },
      // Counts for tests: dependents a source holds (weakly, strongly).
      links: (s) => [s.#dependents === null ? 0 : s.#dependents.size,
        s.#strongDependents === null ? 0 : s.#strongDependents.size],
    };
  }
}

function createSignal() {
  return new AbortSignal(kInternal);
}
function signalAbort(signal, reason) {
  sig.signalAbort(signal, reason);
}

const convertSignal = (V, prefix, context) => {
  if (!sig.isSignal(V)) {
    throw makeException(TypeError, "is not of type 'AbortSignal'.", prefix, context);
  }
  return V;
};
const convertSignals = webidl.createSequenceConverter(convertSignal);

webidl.configureInterface(AbortSignal);
events.defineEventHandler(AbortSignal.prototype, 'onabort', 'abort');
events.setListenerHook(sig.listenersChanged);
webidl.defineGlobal('AbortSignal', AbortSignal);

let AbortController;
class AbortControllerState extends PlatformObject {
  #signal;

  static {
    AbortController = class AbortController extends null {
      constructor() {
        const self = ReflectConstruct(AbortControllerState, [], new.target);
        self.#signal = createSignal();
        return self;
      }
      get signal() {
        if (!(#signal in this)) illegal();
        return this.#signal;
      }
      abort(reason = undefined) {
        if (!(#signal in this)) illegal();
        signalAbort(this.#signal, reason);
      }
    };
    ObjectSetPrototypeOf(AbortController.prototype, Object.prototype);
  }
}
webidl.configureInterface(AbortController);
webidl.defineGlobal('AbortController', AbortController);
// How the console prints them (10_console.js).
internals.inspectHooks.register(AbortSignal, ['aborted']);
internals.inspectHooks.register(AbortController, ['signal']);

internals.AbortSignal = AbortSignal;
internals.abort = {
  isSignal: sig.isSignal,
  aborted: sig.aborted,
  reason: sig.reason,
  addAlgorithm: sig.addAlgorithm,
  removeAlgorithm: sig.removeAlgorithm,
  signalAbort,
  createSignal,
  createDependent: sig.createDependent,
  links: sig.links,
};
