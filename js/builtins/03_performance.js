// performance (https://w3c.github.io/hr-time/#the-performance-attribute) with User Timing
// (https://w3c.github.io/user-timing/): now(), timeOrigin, toJSON(), mark(), measure(),
// getEntries*(), clearMarks(), clearMeasures(); PerformanceEntry, PerformanceMark,
// PerformanceMeasure. The clock is native (js/api/performance.h: monotonic, coarsened to
// 5 us; timeOrigin is the realm's creation time as Unix ms).
//
// Buffer: at most kMaxBufferedEntries marks and measures are kept for getEntries*(); past
// that, mark() and measure() still return their entry but do not buffer it (the spec sets
// no limit for user timing; a server's realm lives long, so an app that marks every request
// must not grow without bound). clearMarks()/clearMeasures() make room again.
//
// Performance is an EventTarget: 11_event.js's adoptEventTarget makes it one.
// Run lazily (js/builtins.h), on first use of its globals:
// @lazy Performance PerformanceEntry PerformanceMark PerformanceMeasure
// @lazy-replaceable performance
// @requires 01_dom_exception.js
'use strict';

const { webidl } = internals;
const { converters } = webidl;
const performanceNow = natives.performanceNow;
const timeOrigin = natives.timeOrigin;
const clone = natives.structuredClone;
const createPlatformObject = natives.createPlatformObject;
const ArrayPrototypePush = webidl.primordials.uncurry(Array.prototype.push);
const ArrayPrototypeFilter = webidl.primordials.uncurry(Array.prototype.filter);
const ArrayPrototypeSort = webidl.primordials.uncurry(Array.prototype.sort);
const ObjectSetPrototypeOf = Object.setPrototypeOf;

const kMaxBufferedEntries = 10000;
internals.performanceMaxBufferedEntries = kMaxBufferedEntries;

// Private state stamped onto platform objects (see 01_dom_exception.js).
class Stamp {
  constructor(o) {
    return o;
  }
}
class EntryState extends Stamp {
  #name;
  #entryType;
  #startTime;
  #duration;
  #detail;
  constructor(o, name, entryType, startTime, duration, detail) {
    super(o);
    this.#name = name;
    this.#entryType = entryType;
    this.#startTime = startTime;
    this.#duration = duration;
    this.#detail = detail;
  }
  static is(o) {
    return o !== null && typeof o === 'object' && #name in o;
  }
  static check(o, entryType) {
    if (!EntryState.is(o) || (entryType !== undefined && o.#entryType !== entryType)) {
      throw new TypeError('Illegal invocation');
    }
    return o;
  }
  static name(o) { return EntryState.check(o).#name; }
  static entryType(o) { return EntryState.check(o).#entryType; }
  static startTime(o) { return EntryState.check(o).#startTime; }
  static duration(o) { return EntryState.check(o).#duration; }
  static detail(o, entryType) { return EntryState.check(o, entryType).#detail; }
}

function prototypeOf(newTarget, fallback) {
  const proto = newTarget.prototype;
  return proto !== null && (typeof proto === 'object' || typeof proto === 'function')
    ? proto : fallback;
}

function cloneDetail(detail) {
  return detail === undefined || detail === null ? null : clone(detail, []);
}

// https://w3c.github.io/performance-timeline/#the-performanceentry-interface
class PerformanceEntry {
  constructor() {
    webidl.illegalConstructor();
  }
  get name() { return EntryState.name(this); }
  get entryType() { return EntryState.entryType(this); }
  get startTime() { return EntryState.startTime(this); }
  get duration() { return EntryState.duration(this); }
  toJSON() {
    EntryState.check(this);
    return {
      name: EntryState.name(this), entryType: EntryState.entryType(this),
      startTime: EntryState.startTime(this), duration: EntryState.duration(this),
    };
  }
}
webidl.configureInterface(PerformanceEntry);

const markOptions = webidl.createDictionaryConverter('PerformanceMarkOptions', [
  { key: 'detail', converter: converters.any },
  { key: 'startTime', converter: converters.double },
]);

// https://w3c.github.io/user-timing/#the-performancemark-constructor
class PerformanceMark {
  constructor(markName, markOptions_ = undefined) {
    const prefix = webidl.prefix('PerformanceMark');
    webidl.requiredArguments(arguments.length, 1, prefix);
    markName = converters.DOMString(markName, prefix, 'parameter 1');
    const options = markOptions(markOptions_, prefix, 'parameter 2');
    if (options.startTime < 0) {
      throw new TypeError(`${prefix}: 'startTime' cannot be negative.`);
    }
    const startTime = options.startTime !== undefined ? options.startTime : performanceNow();
    const detail = cloneDetail(options.detail);
    const self = createPlatformObject(prototypeOf(new.target, PerformanceMark.prototype));
    new EntryState(self, markName, 'mark', startTime, 0, detail);
    return self;
  }
  get detail() { return EntryState.detail(this, 'mark'); }
}
ObjectSetPrototypeOf(PerformanceMark, PerformanceEntry);
ObjectSetPrototypeOf(PerformanceMark.prototype, PerformanceEntry.prototype);
webidl.configureInterface(PerformanceMark);

// https://w3c.github.io/user-timing/#performancemeasure
class PerformanceMeasure {
  constructor() {
    webidl.illegalConstructor();
  }
  get detail() { return EntryState.detail(this, 'measure'); }
}
ObjectSetPrototypeOf(PerformanceMeasure, PerformanceEntry);
ObjectSetPrototypeOf(PerformanceMeasure.prototype, PerformanceEntry.prototype);
webidl.configureInterface(PerformanceMeasure);

// (DOMString or DOMHighResTimeStamp)
function markOrTime(V, prefix, context) {
  return typeof V === 'number' ? converters.double(V, prefix, context)
    : converters.DOMString(V, prefix, context);
}
const measureOptions = webidl.createDictionaryConverter('PerformanceMeasureOptions', [
  { key: 'detail', converter: converters.any },
  { key: 'duration', converter: converters.double },
  { key: 'end', converter: markOrTime },
  { key: 'start', converter: markOrTime },
]);

// PerformanceTiming's attributes: names that only a Window can convert.
const timingNames = new Set([
  'connectEnd', 'connectStart', 'domComplete', 'domContentLoadedEventEnd',
  'domContentLoadedEventStart', 'domInteractive', 'domLoading', 'domainLookupEnd',
  'domainLookupStart', 'fetchStart', 'loadEventEnd', 'loadEventStart', 'navigationStart',
  'redirectEnd', 'redirectStart', 'requestStart', 'responseEnd', 'responseStart',
  'secureConnectionStart', 'unloadEventEnd', 'unloadEventStart',
]);

let buffer = [];

function queueEntry(entry) {
  if (buffer.length < kMaxBufferedEntries) ArrayPrototypePush(buffer, entry);
}

function byStartTime(a, b) {
  return EntryState.startTime(a) - EntryState.startTime(b);
}

function filtered(name, type) {
  const out = ArrayPrototypeFilter(buffer, (e) =>
    (name === undefined || EntryState.name(e) === name) &&
    (type === undefined || EntryState.entryType(e) === type));
  return ArrayPrototypeSort(out, byStartTime);  // stable: equal times keep queue order
}

// https://w3c.github.io/user-timing/#convert-a-mark-to-a-timestamp
function markToTimestamp(mark, prefix) {
  if (typeof mark === 'string') {
    if (timingNames.has(mark)) {
      throw new TypeError(`${prefix}: '${mark}' is a PerformanceTiming attribute, which ` +
        'exists only in a Window.');
    }
    for (let i = buffer.length - 1; i >= 0; --i) {
      const e = buffer[i];
      if (EntryState.entryType(e) === 'mark' && EntryState.name(e) === mark) {
        return EntryState.startTime(e);
      }
    }
    throw new internals.DOMException(
      `${prefix}: The mark '${mark}' does not exist.`, 'SyntaxError');
  }
  if (mark < 0) throw new TypeError(`${prefix}: '${mark}' cannot be negative.`);
  return mark;
}

class Performance {
  constructor() {
    webidl.illegalConstructor();
  }
  now() {
    webidl.assertBranded(this, Performance.prototype);
    return performanceNow();
  }
  get timeOrigin() {
    webidl.assertBranded(this, Performance.prototype);
    return timeOrigin;
  }
  toJSON() {
    webidl.assertBranded(this, Performance.prototype);
    return { timeOrigin };
  }
  mark(markName, markOptions_ = undefined) {
    webidl.assertBranded(this, Performance.prototype);
    const prefix = webidl.prefix('Performance', 'mark');
    webidl.requiredArguments(arguments.length, 1, prefix);
    const entry = new PerformanceMark(markName, markOptions_);
    queueEntry(entry);
    return entry;
  }
  // https://w3c.github.io/user-timing/#measure-method
  measure(measureName, startOrMeasureOptions = undefined, endMark = undefined) {
    webidl.assertBranded(this, Performance.prototype);
    const prefix = webidl.prefix('Performance', 'measure');
    webidl.requiredArguments(arguments.length, 1, prefix);
    measureName = converters.DOMString(measureName, prefix, 'parameter 1');
    let options = null;
    let startMark;
    const t = webidl.type(startOrMeasureOptions);
    if (t === 'Undefined' || t === 'Null' || t === 'Object') {
      options = measureOptions(startOrMeasureOptions, prefix, 'parameter 2');
    } else {
      startMark = converters.DOMString(startOrMeasureOptions, prefix, 'parameter 2');
    }
    if (endMark !== undefined) endMark = converters.DOMString(endMark, prefix, 'parameter 3');
    const hasOptions = options !== null && (options.start !== undefined ||
      options.end !== undefined || options.duration !== undefined ||
      options.detail !== undefined);
    if (hasOptions) {
      if (endMark !== undefined) {
        throw new TypeError(`${prefix}: an end mark cannot be given with measure options.`);
      }
      if (options.start === undefined && options.end === undefined) {
        throw new TypeError(`${prefix}: measure options need a 'start' or an 'end'.`);
      }
      if (options.start !== undefined && options.duration !== undefined &&
          options.end !== undefined) {
        throw new TypeError(
          `${prefix}: 'start', 'duration' and 'end' cannot all be given.`);
      }
    }
    let end;
    if (endMark !== undefined) {
      end = markToTimestamp(endMark, prefix);
    } else if (hasOptions && options.end !== undefined) {
      end = markToTimestamp(options.end, prefix);
    } else if (hasOptions && options.start !== undefined && options.duration !== undefined) {
      end = markToTimestamp(options.start, prefix) + markToTimestamp(options.duration, prefix);
    } else {
      end = performanceNow();
    }
    let start;
    if (hasOptions && options.start !== undefined) {
      start = markToTimestamp(options.start, prefix);
    } else if (hasOptions && options.duration !== undefined && options.end !== undefined) {
      start = end - markToTimestamp(options.duration, prefix);
    } else if (startMark !== undefined) {
      start = markToTimestamp(startMark, prefix);
    } else {
      start = 0;
    }
    const detail = hasOptions ? cloneDetail(options.detail) : null;
    const entry = createPlatformObject(PerformanceMeasure.prototype);
    new EntryState(entry, measureName, 'measure', start, end - start, detail);
    queueEntry(entry);
    return entry;
  }
  getEntries() {
    webidl.assertBranded(this, Performance.prototype);
    return filtered(undefined, undefined);
  }
  getEntriesByType(type) {
    webidl.assertBranded(this, Performance.prototype);
    const prefix = webidl.prefix('Performance', 'getEntriesByType');
    webidl.requiredArguments(arguments.length, 1, prefix);
    return filtered(undefined, converters.DOMString(type, prefix, 'parameter 1'));
  }
  getEntriesByName(name, type = undefined) {
    webidl.assertBranded(this, Performance.prototype);
    const prefix = webidl.prefix('Performance', 'getEntriesByName');
    webidl.requiredArguments(arguments.length, 1, prefix);
    name = converters.DOMString(name, prefix, 'parameter 1');
    if (type !== undefined) type = converters.DOMString(type, prefix, 'parameter 2');
    return filtered(name, type);
  }
  clearMarks(markName = undefined) {
    webidl.assertBranded(this, Performance.prototype);
    const prefix = webidl.prefix('Performance', 'clearMarks');
    if (markName !== undefined) markName = converters.DOMString(markName, prefix, 'parameter 1');
    buffer = ArrayPrototypeFilter(buffer, (e) => EntryState.entryType(e) !== 'mark' ||
      (markName !== undefined && EntryState.name(e) !== markName));
  }
  clearMeasures(measureName = undefined) {
    webidl.assertBranded(this, Performance.prototype);
    const prefix = webidl.prefix('Performance', 'clearMeasures');
    if (measureName !== undefined) {
      measureName = converters.DOMString(measureName, prefix, 'parameter 1');
    }
    buffer = ArrayPrototypeFilter(buffer, (e) => EntryState.entryType(e) !== 'measure' ||
      (measureName !== undefined && EntryState.name(e) !== measureName));
  }
}
webidl.configureInterface(Performance);

const performance = webidl.createBranded(Performance);
internals.performance = performance;
if (internals.events !== undefined) internals.events.adoptEventTarget(Performance, performance);
webidl.defineGlobal('Performance', Performance);
webidl.defineGlobal('PerformanceEntry', PerformanceEntry);
webidl.defineGlobal('PerformanceMark', PerformanceMark);
webidl.defineGlobal('PerformanceMeasure', PerformanceMeasure);
// How the console prints them (10_console.js runs before this lazy file).
internals.inspectHooks.register(PerformanceEntry, ['name', 'entryType', 'startTime', 'duration']);
internals.inspectHooks.register(PerformanceMark, ['name', 'entryType', 'startTime', 'duration', 'detail']);
internals.inspectHooks.register(PerformanceMeasure, ['name', 'entryType', 'startTime', 'duration', 'detail']);
webidl.defineGlobalAttribute('performance', performance, { replaceable: true });
