// URL and URLSearchParams (https://url.spec.whatwg.org/#api), over the ada natives of
// js/api/url.cc. A URL holds its serialized href and the offsets of its components (as ada's
// url_aggregator does); getters slice the href, setters hand the href, the component and the
// value to ada and take back the new href and offsets. A serialized URL is ASCII, so ada's
// byte offsets are string indices.
//
// A URL's searchParams is created on first use and stays the same object; it is live both
// ways: a URLSearchParams change sets the URL's query (the spec's "update steps"), and the
// href and search setters replace the list.
//
// The application/x-www-form-urlencoded parser and serializer are shared with bodies
// through internals.urlencoded = { parse(string or BufferSource) -> [[name, value]...],
// serialize([[name, value]...]) -> string }.
// Run lazily (js/builtins.h), on first use of its globals:
// @lazy URL URLSearchParams
'use strict';

const { webidl } = internals;
const { converters, makeException, brand } = webidl;
const { uncurry, ObjectDefineProperty } = webidl.primordials;
const {
  urlParse, urlUpdate, urlCanParse, urlencodedParse, urlencodedSerialize, urlComponents,
  urlTooLong,
  urlMaxInputBytes,
} = natives;

const StringPrototypeSlice = uncurry(String.prototype.slice);
const StringPrototypeCharCodeAt = uncurry(String.prototype.charCodeAt);
const StringPrototypeReplace = uncurry(String.prototype.replace);
const RegExpPrototypeTest = uncurry(RegExp.prototype.test);
const ArrayPrototypePush = uncurry(Array.prototype.push);
const ArrayPrototypeSort = uncurry(Array.prototype.sort);
const ArrayPrototypeJoin = uncurry(Array.prototype.join);
const ArrayPrototypeMap = uncurry(Array.prototype.map);
const ReflectApply = Reflect.apply;
const ReflectConstruct = Reflect.construct;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const { PlatformObject } = webidl;
const ReflectOwnKeys = Reflect.ownKeys;
const JSONStringify = JSON.stringify;
const SymbolIterator = Symbol.iterator;
const customInspect = Symbol.for('nodejs.util.inspect.custom');
const MapPrototypeSet = uncurry(Map.prototype.set);
const MapPrototypeDelete = uncurry(Map.prototype.delete);
// The blob URL store (https://w3c.github.io/FileAPI/#url-model): blob: URL -> Blob.
const kMaxBlobUrls = 100000;
const blobUrls = new Map();
internals.blobUrls = blobUrls;

// ---- conversions ----

// USVString: lone surrogates become U+FFFD. The test runs natively; the replacement is rare.
const loneSurrogate = /[\uD800-\uDFFF]/u;
const loneSurrogates = /[\uD800-\uDFFF]/gu;
function usv(V, prefix, context) {
  const s = typeof V === 'string' ? V : converters.DOMString(V, prefix, context);
  return RegExpPrototypeTest(loneSurrogate, s)
    ? StringPrototypeReplace(s, loneSurrogates, '\ufffd') : s;
}
// For strings that go to ada: the natives replace lone surrogates while encoding to UTF-8.
function str(V, prefix, context) {
  return typeof V === 'string' ? V : converters.DOMString(V, prefix, context);
}

// Names the input, shortened: a message stays small whatever the input's size.
function quote(s) {
  return s.length > 256 ? `'${StringPrototypeSlice(s, 0, 256)}...'` : `'${s}'`;
}
function invalidUrl(code, prefix, input, base) {
  if (code === urlTooLong) {
    return new TypeError(`${prefix}: Invalid URL: longer than ${urlMaxInputBytes} bytes`);
  }
  const withBase = base === undefined ? '' : ` with base ${quote(base)}`;
  return new TypeError(`${prefix}: Invalid URL ${quote(input)}${withBase}`);
}
const { illegalInvocation } = webidl;
const setterPrefix = (name) => `Failed to set the '${name}' property on 'URL'`;

// ---- application/x-www-form-urlencoded ----

// https://url.spec.whatwg.org/#concept-urlencoded-serializer, natively (encodeURIComponent
// with fix-ups costs several times more per pair on V8 10.2).
const serializeUrlencoded = urlencodedSerialize;
internals.urlencoded = { parse: urlencodedParse, serialize: serializeUrlencoded };

// ---- URL ----

const kHref = 0; const kProtocol = 1; const kUsername = 2; const kPassword = 3;
const kHost = 4; const kHostname = 5; const kPort = 6; const kPathname = 7;
const kSearch = 8; const kHash = 9;
const kSchemeNotSpecial = 1; const kSchemeHttp = 0; const kSchemeHttps = 2;
const kSchemeFile = 6;

// Set by URLSearchParams' static block: a list of the pairs of a query, and the creation
// of a URL's query object.
let paramsList;
let paramsSetList;
let paramsForUrl;
// Set by URL's static block, for URLSearchParams' update steps.
let urlSetQuery;
// Made only by URL.parse, so that it builds a URL from a parsed href without parsing twice.
const kFromHref = Symbol('fromHref');

let URL;
class URLState extends PlatformObject {
  #href = '';
  #protocolEnd = 0;
  #usernameEnd = 0;
  #hostStart = 0;
  #hostEnd = 0;
  #port = -1;
  #pathnameStart = 0;
  #searchStart = -1;
  #hashStart = -1;
  #scheme = 0;
  #searchParams = null;

  // The offsets of the href the natives just returned (omitted ones are -1).
  #set(href) {
    const c = urlComponents;
    this.#href = href;
    this.#protocolEnd = c[0];
    this.#usernameEnd = c[1];
    this.#hostStart = c[2];
    this.#hostEnd = c[3];
    this.#port = c[4];
    this.#pathnameStart = c[5];
    this.#searchStart = c[6];
    this.#hashStart = c[7];
    this.#scheme = c[8];
  }

  // A setter: ada refuses some values (the URL is left as it is), never throws.
  #update(action, value, name) {
    const href = urlUpdate(this.#href, action, value);
    if (typeof href === 'string') {
      this.#set(href);
    } else if (href === urlTooLong) {
      throw new TypeError(`${setterPrefix(name)}: longer than ${urlMaxInputBytes} bytes`);
    }
  }

  // The search without its '?', or null when the URL has no query.
  #query() {
    if (this.#searchStart === -1) return null;
    const end = this.#hashStart !== -1 ? this.#hashStart : this.#href.length;
    return StringPrototypeSlice(this.#href, this.#searchStart + 1, end);
  }

  #resetSearchParams() {
    if (this.#searchParams !== null) {
      const query = this.#query();
      paramsSetList(this.#searchParams, query === null ? [] : urlencodedParse(query));
    }
  }

  // After the credentials' '@', if any.
  #hostnameStart() {
    const start = this.#hostStart;
    return StringPrototypeCharCodeAt(this.#href, start) === 0x40 ? start + 1 : start;
  }

  #hostText() {
    const start = this.#hostnameStart();
    if (start === this.#hostEnd) return '';
    return StringPrototypeSlice(this.#href, start, this.#pathnameStart);
  }

  #pathnameText() {
    let end = this.#href.length;
    if (this.#searchStart !== -1) end = this.#searchStart;
    else if (this.#hashStart !== -1) end = this.#hashStart;
    return StringPrototypeSlice(this.#href, this.#pathnameStart, end);
  }

  static {
    URL = class URL extends null {
      constructor(url, base = undefined) {
        if (url === kFromHref) {
          const self = ReflectConstruct(URLState, [], new.target);
          self.#set(base);
          return self;
        }
        const prefix = "Failed to construct 'URL'";
        webidl.requiredArguments(arguments.length, 1, prefix);
        url = str(url, prefix, 'parameter 1');
        if (base !== undefined) base = str(base, prefix, 'parameter 2');
        const href = urlParse(url, base);
        if (typeof href !== 'string') throw invalidUrl(href, prefix, url, base);
        const self = ReflectConstruct(URLState, [], new.target);
        self.#set(href);
        return self;
      }

      static parse(url, base = undefined) {
        const prefix = "Failed to execute 'parse' on 'URL'";
        webidl.requiredArguments(arguments.length, 1, prefix);
        url = str(url, prefix, 'parameter 1');
        if (base !== undefined) base = str(base, prefix, 'parameter 2');
        const href = urlParse(url, base);
        return typeof href === 'string' ? new URL(kFromHref, href) : null;
      }

      // https://w3c.github.io/FileAPI/#dfn-createObjectURL: a blob: URL for a Blob, kept in
      // the realm's blob URL store (internals.blobUrls) until revoked; fetch() reads it.
      // The origin part is "null": a server has no origin. The store is bounded.
      static createObjectURL(obj) {
        const prefix = "Failed to execute 'createObjectURL' on 'URL'";
        webidl.requiredArguments(arguments.length, 1, prefix);
        if (internals.blob === undefined) natives.loadBuiltin('30_blob.js');
        if (!internals.blob.isBlob(obj)) {
          throw makeException(TypeError, "parameter 1 is not of type 'Blob'.", prefix);
        }
        if (blobUrls.size >= kMaxBlobUrls) {
          natives.loadBuiltin('01_dom_exception.js');
          throw new internals.DOMException(`${prefix}: more than ${kMaxBlobUrls} blob URLs ` +
            'are registered; revoke some with URL.revokeObjectURL()', 'QuotaExceededError');
        }
        const url = 'blob:null/' + natives.randomUUID();
        MapPrototypeSet(blobUrls, url, obj);
        return url;
      }

      static revokeObjectURL(url) {
        const prefix = "Failed to execute 'revokeObjectURL' on 'URL'";
        webidl.requiredArguments(arguments.length, 1, prefix);
        url = str(url, prefix, 'parameter 1');
        MapPrototypeDelete(blobUrls, url);
      }

      static canParse(url, base = undefined) {
        const prefix = "Failed to execute 'canParse' on 'URL'";
        webidl.requiredArguments(arguments.length, 1, prefix);
        url = str(url, prefix, 'parameter 1');
        if (base !== undefined) base = str(base, prefix, 'parameter 2');
        return urlCanParse(url, base);
      }

      static {
        // URLSearchParams' update steps: the serialized list becomes the query (null when
        // empty, which also strips an opaque path's trailing spaces). The serialization holds
        // no code point the query percent-encode sets would change.
        urlSetQuery = (url, serialized) => {
          const href = urlUpdate(url.#href, kSearch, serialized);
          if (typeof href === 'string') url.#set(href);
        };
      }

      get href() {
        if (!(#href in this)) illegalInvocation();
        return this.#href;
      }
      set href(value) {
        if (!(#href in this)) illegalInvocation();
        const prefix = setterPrefix('href');
        value = str(value, prefix, 'The provided value');
        const href = urlUpdate(this.#href, kHref, value);
        if (typeof href !== 'string') throw invalidUrl(href, prefix, value);
        this.#set(href);
        this.#resetSearchParams();
      }

      get origin() {
        if (!(#href in this)) illegalInvocation();
        const scheme = this.#scheme;
        if (scheme !== kSchemeNotSpecial) {
          if (scheme === kSchemeFile) return 'null';
          return `${StringPrototypeSlice(this.#href, 0, this.#protocolEnd)}//${this.#hostText()}`;
        }
        // https://url.spec.whatwg.org/#concept-url-origin: a blob: URL has the origin of the
        // URL its path holds, when that is http(s) (file's is opaque anyway).
        if (StringPrototypeSlice(this.#href, 0, this.#protocolEnd) === 'blob:') {
          const inner = urlParse(this.#pathnameText());
          if (typeof inner === 'string') {
            const innerScheme = urlComponents[8];
            if (innerScheme === kSchemeHttp || innerScheme === kSchemeHttps) {
              return new URL(kFromHref, inner).origin;
            }
          }
        }
        return 'null';
      }

      get protocol() {
        if (!(#href in this)) illegalInvocation();
        return StringPrototypeSlice(this.#href, 0, this.#protocolEnd);
      }
      set protocol(value) {
        if (!(#href in this)) illegalInvocation();
        this.#update(kProtocol, str(value, setterPrefix('protocol'), 'The provided value'),
          'protocol');
      }

      get username() {
        if (!(#href in this)) illegalInvocation();
        if (this.#protocolEnd + 2 < this.#usernameEnd) {
          return StringPrototypeSlice(this.#href, this.#protocolEnd + 2, this.#usernameEnd);
        }
        return '';
      }
      set username(value) {
        if (!(#href in this)) illegalInvocation();
        this.#update(kUsername, str(value, setterPrefix('username'), 'The provided value'),
          'username');
      }

      get password() {
        if (!(#href in this)) illegalInvocation();
        if (this.#hostStart - this.#usernameEnd > 0) {
          return StringPrototypeSlice(this.#href, this.#usernameEnd + 1, this.#hostStart);
        }
        return '';
      }
      set password(value) {
        if (!(#href in this)) illegalInvocation();
        this.#update(kPassword, str(value, setterPrefix('password'), 'The provided value'),
          'password');
      }

      get host() {
        if (!(#href in this)) illegalInvocation();
        return this.#hostText();
      }
      set host(value) {
        if (!(#href in this)) illegalInvocation();
        this.#update(kHost, str(value, setterPrefix('host'), 'The provided value'), 'host');
      }

      get hostname() {
        if (!(#href in this)) illegalInvocation();
        return StringPrototypeSlice(this.#href, this.#hostnameStart(), this.#hostEnd);
      }
      set hostname(value) {
        if (!(#href in this)) illegalInvocation();
        this.#update(kHostname, str(value, setterPrefix('hostname'), 'The provided value'),
          'hostname');
      }

      get port() {
        if (!(#href in this)) illegalInvocation();
        return this.#port === -1 ? '' : `${this.#port}`;
      }
      set port(value) {
        if (!(#href in this)) illegalInvocation();
        this.#update(kPort, str(value, setterPrefix('port'), 'The provided value'), 'port');
      }

      get pathname() {
        if (!(#href in this)) illegalInvocation();
        return this.#pathnameText();
      }
      set pathname(value) {
        if (!(#href in this)) illegalInvocation();
        this.#update(kPathname, str(value, setterPrefix('pathname'), 'The provided value'),
          'pathname');
      }

      get search() {
        if (!(#href in this)) illegalInvocation();
        if (this.#searchStart === -1) return '';
        const end = this.#hashStart !== -1 ? this.#hashStart : this.#href.length;
        if (end - this.#searchStart <= 1) return '';
        return StringPrototypeSlice(this.#href, this.#searchStart, end);
      }
      set search(value) {
        if (!(#href in this)) illegalInvocation();
        this.#update(kSearch, str(value, setterPrefix('search'), 'The provided value'), 'search');
        this.#resetSearchParams();
      }

      get searchParams() {
        if (!(#href in this)) illegalInvocation();
        if (this.#searchParams === null) {
          const query = this.#query();
          this.#searchParams = paramsForUrl(this, query === null ? [] : urlencodedParse(query));
        }
        return this.#searchParams;
      }

      get hash() {
        if (!(#href in this)) illegalInvocation();
        if (this.#hashStart === -1 || this.#href.length - this.#hashStart <= 1) return '';
        return StringPrototypeSlice(this.#href, this.#hashStart);
      }
      set hash(value) {
        if (!(#href in this)) illegalInvocation();
        this.#update(kHash, str(value, setterPrefix('hash'), 'The provided value'), 'hash');
      }

      toString() {
        if (!(#href in this)) illegalInvocation();
        return this.#href;
      }

      toJSON() {
        if (!(#href in this)) illegalInvocation();
        return this.#href;
      }

      // console.log(url), as Node shows it.
      [customInspect](depth, options, inspect) {
        if (!(#href in this)) return this;
        const obj = {
          href: this.href, origin: this.origin, protocol: this.protocol,
          username: this.username, password: this.password, host: this.host,
          hostname: this.hostname, port: this.port, pathname: this.pathname,
          search: this.search, searchParams: this.searchParams, hash: this.hash,
        };
        if (depth < 0) return `${this.constructor.name} ${JSONStringify(this.#href)}`;
        return `${this.constructor.name} ${inspect(obj, { ...options, depth })}`;
      }
    };
    ObjectSetPrototypeOf(URL.prototype, Object.prototype);
  }
}

webidl.configureInterface(URL);
ObjectDefineProperty(URL.prototype, customInspect, { enumerable: false });

// ---- URLSearchParams ----

const sequenceOfPairs = webidl.createSequenceConverter(webidl.createSequenceConverter(usv));
const recordOfStrings = webidl.createRecordConverter(usv, usv);

let URLSearchParams;
class URLSearchParamsState extends PlatformObject {
  #list = [];
  #url = null;

  // https://url.spec.whatwg.org/#concept-urlsearchparams-update
  #updateUrl() {
    if (this.#url !== null) urlSetQuery(this.#url, serializeUrlencoded(this.#list));
  }

  static {
    URLSearchParams = class URLSearchParams extends null {
      constructor(init = '') {
        const prefix = "Failed to construct 'URLSearchParams'";
        let list = [];
        // (sequence<sequence<USVString>> or record<USVString, USVString> or USVString): an
        // object with @@iterator is a sequence, another object a record.
        if (webidl.type(init) === 'Object') {
          const method = init[SymbolIterator];
          if (method !== undefined && method !== null) {
            if (typeof method !== 'function') {
              throw makeException(TypeError, 'can not be converted to a sequence.', prefix,
                'parameter 1');
            }
            // The sequence converter with the method already got (it is got once).
            const pairs = sequenceOfPairs({ [SymbolIterator]: () => ReflectApply(method, init, []) },
              prefix, 'parameter 1');
            for (let i = 0; i < pairs.length; i++) {
              if (pairs[i].length !== 2) {
                throw new TypeError(`${prefix}: parameter 1, index ${i}, has ${pairs[i].length} ` +
                  'elements where a name-value pair has 2.');
              }
            }
            list = pairs;
          } else {
            const record = recordOfStrings(init, prefix, 'parameter 1');
            for (const key of ReflectOwnKeys(record)) ArrayPrototypePush(list, [key, record[key]]);
          }
        } else if (init !== '') {
          let s = usv(init, prefix, 'parameter 1');
          if (StringPrototypeCharCodeAt(s, 0) === 0x3f) s = StringPrototypeSlice(s, 1);
          list = urlencodedParse(s);
        }
        const self = ReflectConstruct(URLSearchParamsState, [], new.target);
        self[brand] = brand;
        self.#list = list;
        return self;
      }

      static {
        paramsList = (p) => p.#list;
        paramsSetList = (p, list) => { p.#list = list; };
        paramsForUrl = (url, list) => {
          const p = new URLSearchParams();
          p.#list = list;
          p.#url = url;
          return p;
        };
      }

      get size() {
        if (!(#list in this)) illegalInvocation();
        return this.#list.length;
      }

      append(name, value) {
        if (!(#list in this)) illegalInvocation();
        const prefix = "Failed to execute 'append' on 'URLSearchParams'";
        webidl.requiredArguments(arguments.length, 2, prefix);
        name = usv(name, prefix, 'parameter 1');
        value = usv(value, prefix, 'parameter 2');
        ArrayPrototypePush(this.#list, [name, value]);
        this.#updateUrl();
      }

      delete(name, value = undefined) {
        if (!(#list in this)) illegalInvocation();
        const prefix = "Failed to execute 'delete' on 'URLSearchParams'";
        webidl.requiredArguments(arguments.length, 1, prefix);
        name = usv(name, prefix, 'parameter 1');
        if (value !== undefined) value = usv(value, prefix, 'parameter 2');
        const list = this.#list;
        let j = 0;
        for (let i = 0; i < list.length; i++) {
          const pair = list[i];
          if (pair[0] === name && (value === undefined || pair[1] === value)) continue;
          list[j++] = pair;
        }
        list.length = j;
        this.#updateUrl();
      }

      get(name) {
        if (!(#list in this)) illegalInvocation();
        const prefix = "Failed to execute 'get' on 'URLSearchParams'";
        webidl.requiredArguments(arguments.length, 1, prefix);
        name = usv(name, prefix, 'parameter 1');
        const list = this.#list;
        for (let i = 0; i < list.length; i++) {
          if (list[i][0] === name) return list[i][1];
        }
        return null;
      }

      getAll(name) {
        if (!(#list in this)) illegalInvocation();
        const prefix = "Failed to execute 'getAll' on 'URLSearchParams'";
        webidl.requiredArguments(arguments.length, 1, prefix);
        name = usv(name, prefix, 'parameter 1');
        const list = this.#list;
        const out = [];
        for (let i = 0; i < list.length; i++) {
          if (list[i][0] === name) ArrayPrototypePush(out, list[i][1]);
        }
        return out;
      }

      has(name, value = undefined) {
        if (!(#list in this)) illegalInvocation();
        const prefix = "Failed to execute 'has' on 'URLSearchParams'";
        webidl.requiredArguments(arguments.length, 1, prefix);
        name = usv(name, prefix, 'parameter 1');
        if (value !== undefined) value = usv(value, prefix, 'parameter 2');
        const list = this.#list;
        for (let i = 0; i < list.length; i++) {
          if (list[i][0] === name && (value === undefined || list[i][1] === value)) return true;
        }
        return false;
      }

      set(name, value) {
        if (!(#list in this)) illegalInvocation();
        const prefix = "Failed to execute 'set' on 'URLSearchParams'";
        webidl.requiredArguments(arguments.length, 2, prefix);
        name = usv(name, prefix, 'parameter 1');
        value = usv(value, prefix, 'parameter 2');
        // The first pair named name takes the value; the others go.
        const list = this.#list;
        let found = false;
        let j = 0;
        for (let i = 0; i < list.length; i++) {
          const pair = list[i];
          if (pair[0] === name) {
            if (found) continue;
            found = true;
            list[j++] = [name, value];
          } else {
            list[j++] = pair;
          }
        }
        list.length = j;
        if (!found) ArrayPrototypePush(list, [name, value]);
        this.#updateUrl();
      }

      // Stable (V8's sort is), by the names' UTF-16 code units (what < compares).
      sort() {
        if (!(#list in this)) illegalInvocation();
        ArrayPrototypeSort(this.#list, (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        this.#updateUrl();
      }

      toString() {
        if (!(#list in this)) illegalInvocation();
        return serializeUrlencoded(this.#list);
      }

      [customInspect](depth, options, inspect) {
        if (!(#list in this)) return this;
        const list = this.#list;
        if (list.length === 0) return 'URLSearchParams {}';
        const parts = ArrayPrototypeMap(list,
          (pair) => `${inspect(pair[0], options)} => ${inspect(pair[1], options)}`);
        return `URLSearchParams { ${ArrayPrototypeJoin(parts, ', ')} }`;
      }
    };
    ObjectSetPrototypeOf(URLSearchParams.prototype, Object.prototype);
  }
}

webidl.configureInterface(URLSearchParams);
ObjectDefineProperty(URLSearchParams.prototype, customInspect, { enumerable: false });
webidl.mixinPairIterable('URLSearchParams', URLSearchParams, (self) => paramsList(self));

webidl.defineGlobal('URL', URL);
webidl.defineGlobal('URLSearchParams', URLSearchParams);
