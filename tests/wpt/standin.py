#!/usr/bin/env python3
"""A small stand-in for wptserve, the web-platform-tests HTTP server, for the WPT areas whose
tests fetch() from a server (tests/wpt/run.py starts it for areas with "server": true).

    python3 tests/wpt/standin.py [--wpt-dir DIR] [--port N]   serve by hand, to debug a test

What it serves, from the shared wpt folder (read at request time, never copied):
- static files, with a `FILE.headers` (and `__dir__.headers`) file's headers added, `.sub.`
  files' {{...}} substitutions applied, and the `?pipe=header(NAME,VALUE)` and
  `?pipe=status(CODE)` pipes;
- `*.py` handlers, imported and called as `main(request, response)` with a shim of the part of
  wptserve's API that the fetch handlers use (request.GET/POST/headers/body/method/url_parts/
  auth/server.stash; response.status/headers/content/writer/write_status_headers/set_error;
  wptserve.utils.isomorphic_encode/decode; wptserve.handlers.json_handler). Anything else a
  handler reaches for raises, and the request is answered 500 with the traceback.

It listens on 127.0.0.1 on two ports (wptserve's ports[http][0] and [1]); the names WPT uses
(web-platform.test, www1.web-platform.test, not-web-platform.test, ...) all mean 127.0.0.1,
so the runner hands torus a hosts file saying so (`torus run --hosts-file`). There is no
https: ports[https] are ports bound but never listening, so a connection is refused at once.
Each connection is served on its own thread (handlers sleep: trickle.py), daemonic, so a
handler that never ends does not keep the runner alive. Python 3 standard library only.
"""

import argparse
import base64
import importlib.util
import json
import mimetypes
import os
import re
import socket
import socketserver
import sys
import threading
import traceback
import types
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

# wptserve's default configuration: the test host and its subdomains, and the "alt" host
# (not same-site with the first).
HOST = "web-platform.test"
ALT_HOST = "not-web-platform.test"
SUBDOMAINS = ["www", "www1", "www2", "xn--n8j6ds53lwwkrqhv28a", "xn--lve-6lad"]

MAX_HEAD_LINE = 65536
MAX_BODY = 64 << 20     # a request body larger than this is refused (413)
CONTENT_TYPES = {
    ".js": "text/javascript", ".json": "application/json", ".txt": "text/plain",
    ".html": "text/html", ".htm": "text/html", ".css": "text/css", ".xml": "application/xml",
    ".xhtml": "application/xhtml+xml", ".png": "image/png", ".svg": "image/svg+xml",
    ".wasm": "application/wasm", ".idl": "text/plain", ".py": "text/plain",
}
# wptserve's aliases: URLs served from another path.
ALIASES = {"/resources/WebIDLParser.js": "/resources/webidl2/lib/webidl2.js"}


def all_hosts():
    """Every name the tests may use for the stand-in; each means 127.0.0.1."""
    names = [HOST, ALT_HOST]
    for sub in SUBDOMAINS:
        names += [sub + "." + HOST, sub + "." + ALT_HOST]
    return names


def isomorphic_encode(s):
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode("iso-8859-1")
    raise TypeError(f"isomorphic_encode: unexpected {type(s).__name__}")


def isomorphic_decode(s):
    if isinstance(s, str):
        return s
    if isinstance(s, bytes):
        return s.decode("iso-8859-1")
    raise TypeError(f"isomorphic_decode: unexpected {type(s).__name__}")


def header_bytes(v):
    """A header name or value as a handler may give it (bytes, str, int)."""
    if isinstance(v, int):
        v = str(v)
    if isinstance(v, str):
        return v.encode("utf-8") if any(ord(c) > 255 for c in v) else v.encode("iso-8859-1")
    return bytes(v)


# ---- wptserve's API, the part the handlers use ----

_missing = object()


class MultiDict(dict):
    """wptserve.utils.MultiDict: each key maps to a list; [key] and first() give the first."""

    def add(self, key, value):
        dict.setdefault(self, key, []).append(value)

    def first(self, key, default=_missing):
        if key in self and dict.__getitem__(self, key):
            return dict.__getitem__(self, key)[0]
        if default is _missing:
            raise KeyError(key)
        return default

    def last(self, key, default=_missing):
        if key in self and dict.__getitem__(self, key):
            return dict.__getitem__(self, key)[-1]
        if default is _missing:
            raise KeyError(key)
        return default

    def get_list(self, key):
        return list(dict.get(self, key, []))

    def __getitem__(self, key):
        return self.first(key)

    def get(self, key, default=None):
        return self.first(key, default)


def _lower(name):
    return isomorphic_encode(name).lower()


class RequestHeaders:
    """Case-insensitive, bytes names and values; [name] and get() join repeats with ', '."""

    def __init__(self, items):
        self._items = [(_lower(k), isomorphic_encode(v)) for k, v in items]

    def __contains__(self, name):
        n = _lower(name)
        return any(k == n for k, _ in self._items)

    def get_list(self, name, default=_missing):
        n = _lower(name)
        values = [v for k, v in self._items if k == n]
        if not values and default is not _missing:
            return default
        return values

    def __getitem__(self, name):
        values = self.get_list(name)
        if not values:
            raise KeyError(name)
        return b", ".join(values)

    def get(self, name, default=None):
        return self[name] if name in self else default

    def __iter__(self):
        seen = []
        for k, _ in self._items:
            if k not in seen:
                seen.append(k)
        return iter(seen)

    def keys(self):
        return list(iter(self))

    def items(self):
        return [(k, self[k]) for k in self]


class ResponseHeaders:
    """Ordered (name, value) pairs as sent; set() replaces, append() adds."""

    def __init__(self):
        self._items = []

    def set(self, name, value):
        n = _lower(name)
        self._items = [(k, v) for k, v in self._items if _lower(k) != n]
        self._items.append((header_bytes(name), header_bytes(value)))

    def append(self, name, value):
        self._items.append((header_bytes(name), header_bytes(value)))

    add = append

    def update(self, items):
        for name, value in items:
            self.append(name, value)

    def get(self, name, default=None):
        n = _lower(name)
        for k, v in self._items:
            if _lower(k) == n:
                return v
        return default

    def __contains__(self, name):
        return self.get(name) is not None

    def __iter__(self):
        return iter(self._items)


class Stash:
    """wptserve's stash: values kept between requests, by (path, key); take() removes. The
    default path is the handler's URL path, as in wptserve."""

    def __init__(self):
        self._lock = threading.Lock()
        self._data = {}
        # wptserve's stash.lock: for a handler's read-modify-write across take() and put().
        self.lock = threading.RLock()

    def bound(self, default_path):
        stash = self

        class Bound:
            lock = stash.lock

            def put(self, key, value, path=None):
                with stash._lock:
                    stash._data[(path or default_path, _key(key))] = value

            def take(self, key, path=None):
                with stash._lock:
                    return stash._data.pop((path or default_path, _key(key)), None)

        return Bound()


def _key(key):
    return isomorphic_decode(key) if isinstance(key, bytes) else str(key)


class Auth:
    def __init__(self, headers):
        self.username = None
        self.password = None
        value = headers.get(b"authorization")
        if value and value[:6].lower() == b"basic ":
            try:
                user, _, password = base64.b64decode(value[6:].strip()).partition(b":")
                self.username, self.password = user, password
            except ValueError:
                pass


class Request:
    def __init__(self, method, url, headers, body, server, client_address=None):
        self.method = method
        self.client_address = client_address
        self.url = url
        self.url_parts = urlsplit(url)
        self.headers = RequestHeaders(headers)
        self.body = body
        self.raw_input = types.SimpleNamespace(read=lambda n=-1: body)
        self.GET = MultiDict()
        for k, v in parse_qsl(self.url_parts.query, keep_blank_values=True,
                              encoding="iso-8859-1"):
            self.GET.add(isomorphic_encode(k), isomorphic_encode(v))
        self.POST = MultiDict()
        ctype = self.headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if ctype == b"application/x-www-form-urlencoded":
            for k, v in parse_qsl(body.decode("iso-8859-1"), keep_blank_values=True,
                                  encoding="iso-8859-1"):
                self.POST.add(isomorphic_encode(k), isomorphic_encode(v))
        self.auth = Auth(self.headers)
        self.server = types.SimpleNamespace(stash=server.stash.bound(self.url_parts.path),
                                            config=server.config)


class Writer:
    """response.writer: raw bytes to the connection once the head is out. write() says False
    when the peer is gone (huge-response.py and infinite-slow-response.py stop on it)."""

    def __init__(self, response):
        self._response = response

    def write_status_headers(self):
        self._response.write_status_headers()

    def write(self, data):
        r = self._response
        if not r._head_sent:
            r.write_status_headers()
        if isinstance(data, str):
            data = data.encode("utf-8")
        try:
            r._wfile.write(data)
            r._wfile.flush()
            return True
        except (OSError, ValueError):
            r._peer_gone = True
            return False

    write_content = write

    def end(self):
        pass


class Response:
    def __init__(self, handler, method):
        self._handler = handler
        self._wfile = handler.wfile
        self._method = method
        self._head_sent = False
        self._peer_gone = False
        self.status = 200
        self.headers = ResponseHeaders()
        self.content = b""
        self.writer = Writer(self)

    def set_error(self, code, message=""):
        self.status = code
        self.headers.set(b"Content-Type", b"text/plain")
        self.content = isomorphic_encode(message) if isinstance(message, str) else message

    def _status_line(self):
        status = self.status
        if isinstance(status, tuple):
            code, text = status
        else:
            code, text = status, None
        code = int(code)
        if text is None:
            text = BaseHTTPRequestHandler.responses.get(code, ("",))[0]
        return b"HTTP/1.1 %d %s\r\n" % (code, header_bytes(text))

    def write_status_headers(self):
        """Starts a streamed response: the head now, then writer.write()s, and the connection
        closes at the end (no Content-Length unless the handler set one)."""
        if self._head_sent:
            return
        head = self._status_line()
        for k, v in self.headers:
            head += k + b": " + v + b"\r\n"
        head += b"Connection: close\r\n\r\n"
        self._head_sent = True
        self._handler.close_connection = True
        try:
            self._wfile.write(head)
            self._wfile.flush()
        except OSError:
            self._peer_gone = True

    def finish(self):
        """A response the handler did not stream: head with Content-Length, then the body."""
        if self._head_sent:
            return
        content = self.content
        if content is None:
            content = b""
        if isinstance(content, str):
            content = content.encode("utf-8")
        elif isinstance(content, (list, tuple)):
            content = b"".join(c.encode("utf-8") if isinstance(c, str) else c for c in content)
        code = int(self.status[0] if isinstance(self.status, tuple) else self.status)
        bodyless = code in (204, 304) or 100 <= code < 200
        if not bodyless and b"content-length" not in self.headers and \
                b"transfer-encoding" not in self.headers:
            self.headers.set(b"Content-Length", str(len(content)))
        head = self._status_line()
        for k, v in self.headers:
            head += k + b": " + v + b"\r\n"
        head += b"\r\n"
        self._head_sent = True
        self._wfile.write(head + (b"" if bodyless or self._method == "HEAD" else content))
        self._wfile.flush()


def json_handler(func):
    """wptserve.handlers.json_handler: the handler's value, as JSON."""
    def wrapper(request, response):
        rv = func(request, response)
        response.headers.set(b"Content-Type", b"application/json")
        return json.dumps(rv)
    return wrapper


def _install_wptserve_modules():
    """`from wptserve.utils import ...` and `from wptserve.handlers import ...` in a handler
    get the shim's."""
    if "wptserve" in sys.modules:
        return
    pkg = types.ModuleType("wptserve")
    pkg.__path__ = []
    utils = types.ModuleType("wptserve.utils")
    utils.isomorphic_encode = isomorphic_encode
    utils.isomorphic_decode = isomorphic_decode
    utils.MultiDict = MultiDict
    handlers = types.ModuleType("wptserve.handlers")
    handlers.json_handler = json_handler
    pkg.utils, pkg.handlers = utils, handlers
    sys.modules.update({"wptserve": pkg, "wptserve.utils": utils, "wptserve.handlers": handlers})


# ---- substitutions (.sub. files) ----

SUB_TOKEN = re.compile(r"\{\{(.*?)\}\}")


def substitute(text, request_get, config):
    """wptserve's {{...}} template substitutions, the forms the fetch tests use: host,
    ports[http|https][i], domains[SUB], hosts[|alt][SUB], GET[x], uuid(), location[x]."""
    def one(m):
        expr = m.group(1).strip()
        if expr == "host":
            return HOST
        if expr == "uuid()":
            return str(uuid.uuid4())
        mm = re.fullmatch(r"ports\[(http|https)\]\[(\d+)\]", expr)
        if mm:
            return str(config.ports[mm.group(1)][int(mm.group(2))])
        mm = re.fullmatch(r"domains\[([^\]]*)\]", expr)
        if mm:
            sub = mm.group(1)
            return HOST if sub == "" else sub + "." + HOST
        mm = re.fullmatch(r"hosts\[([^\]]*)\]\[([^\]]*)\]", expr)
        if mm:
            base = ALT_HOST if mm.group(1) == "alt" else HOST
            return base if mm.group(2) == "" else mm.group(2) + "." + base
        mm = re.fullmatch(r"GET\[([^\]]*)\]", expr)
        if mm:
            v = request_get.first(mm.group(1).encode("iso-8859-1"), b"")
            return v.decode("iso-8859-1")
        raise ValueError(f"the stand-in has no substitution {{{{{expr}}}}}")
    return SUB_TOKEN.sub(one, text)


# ---- the server ----

class Config:
    def __init__(self, wpt_dir):
        self.wpt_dir = wpt_dir
        self.ports = {"http": [], "https": []}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "torus-wpt-standin"

    def log_message(self, fmt, *args):  # quiet: the runner's output is the tests'
        if self.server.standin.verbose:
            sys.stderr.write("standin: " + (fmt % args) + "\n")

    def handle_one_request(self):
        try:
            self.raw_requestline = self.rfile.readline(MAX_HEAD_LINE + 1)
            if len(self.raw_requestline) > MAX_HEAD_LINE:
                self.send_error(414)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self.serve()
            self.wfile.flush()
        except (socket.timeout, ConnectionError, BrokenPipeError):
            self.close_connection = True

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(MAX_HEAD_LINE)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(MAX_HEAD_LINE) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("request body over the stand-in's limit")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(MAX_HEAD_LINE)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body over the stand-in's limit")
        return self.rfile.read(length) if length else b""

    def serve(self):
        standin = self.server.standin
        try:
            body = self.read_body()
        except ValueError as e:
            self.close_connection = True
            return self.plain(413, str(e))
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        url = f"http://{host}{self.path}"
        raw_headers = [(k, v) for k, v in self.headers.raw_items()]
        request = Request(self.command, url, raw_headers, body, standin, self.client_address)
        path = ALIASES.get(request.url_parts.path, request.url_parts.path)
        rel = os.path.normpath(path.lstrip("/")) if path != "/" else "."
        full = os.path.join(standin.config.wpt_dir, rel)
        if rel.startswith("..") or not os.path.isfile(full):
            return self.plain(404, f"not found: {path}")
        if full.endswith(".py"):
            return self.run_handler(full, request)
        return self.static(full, request)

    def plain(self, code, text):
        response = Response(self, self.command)
        response.set_error(code, text)
        response.finish()

    def run_handler(self, full, request):
        response = Response(self, self.command)
        try:
            module = self.server.standin.module(full)
            rv = module.main(request, response)
            if rv is not None:
                if isinstance(rv, tuple):
                    if len(rv) == 3:
                        status, headers, content = rv
                        response.status = status
                    elif len(rv) == 2:
                        headers, content = rv
                    else:
                        raise ValueError(f"handler returned a {len(rv)}-tuple")
                    response.headers.update(headers)
                else:
                    content = rv
                response.content = content
        except Exception:
            if response._head_sent:
                self.close_connection = True
                return
            text = traceback.format_exc()
            sys.stderr.write(f"standin: {request.url}: handler failed\n{text}")
            return self.plain(500, text)
        response.finish()

    def static(self, full, request):
        response = Response(self, self.command)
        ext = os.path.splitext(full)[1].lower()
        ctype = CONTENT_TYPES.get(ext) or mimetypes.guess_type(full)[0] or \
            "application/octet-stream"
        response.headers.set(b"Content-Type", ctype)
        for headers_file in (os.path.join(os.path.dirname(full), "__dir__.headers"),
                             full + ".headers"):
            if os.path.isfile(headers_file):
                with open(headers_file, "rb") as f:
                    for line in f.read().splitlines():
                        name, sep, value = line.partition(b":")
                        if sep and name.strip():
                            response.headers.set(name.strip(), value.strip())
        with open(full, "rb") as f:
            content = f.read()
        if ".sub." in os.path.basename(full):
            try:
                content = substitute(content.decode("utf-8"), request.GET,
                                     self.server.standin.config).encode("utf-8")
            except ValueError as e:
                return self.plain(500, str(e))
        response.content = content
        try:
            apply_pipes(request.GET.first(b"pipe", b"").decode("iso-8859-1"), response)
        except ValueError as e:
            return self.plain(500, str(e))
        response.finish()


PIPE = re.compile(r"(\w+)\(([^)]*)\)")


def apply_pipes(spec, response):
    """The pipes of `?pipe=...` the selected tests use: header(NAME,VALUE[,True]) and
    status(CODE)."""
    if not spec:
        return
    for part in spec.split("|"):
        m = PIPE.fullmatch(part.strip())
        if not m:
            raise ValueError(f"the stand-in cannot read pipe {part!r}")
        name, args = m.group(1), [a.strip() for a in m.group(2).split(",")]
        if name == "header" and len(args) >= 2:
            if len(args) >= 3 and args[2].lower() == "true":
                response.headers.append(args[0], args[1])
            else:
                response.headers.set(args[0], args[1])
        elif name == "status" and len(args) == 1:
            response.status = int(args[0])
        else:
            raise ValueError(f"the stand-in has no pipe {part!r}")


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class StandIn:
    """The stand-in: start() binds and serves on threads until stop()."""

    def __init__(self, wpt_dir, ports=(0, 0), verbose=False):
        self.config = Config(os.path.abspath(wpt_dir))
        self.stash = Stash()
        self.verbose = verbose
        self._wanted = ports
        self._servers = []
        self._threads = []
        self._refusing = []
        self._modules = {}
        self._modules_lock = threading.Lock()
        self.hosts_path = None  # the hosts file of hosts_file_text() the runner wrote, if any
        _install_wptserve_modules()

    def start(self):
        for port in self._wanted:
            server = _Server(("127.0.0.1", port), Handler)
            server.standin = self
            self._servers.append(server)
            self.config.ports["http"].append(server.server_address[1])
            t = threading.Thread(target=server.serve_forever, name="wpt-standin", daemon=True)
            t.start()
            self._threads.append(t)
        # https: bound, never listening, so a connect is refused at once.
        for _ in range(2):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            self._refusing.append(s)
            self.config.ports["https"].append(s.getsockname()[1])
        return self

    @property
    def port(self):
        return self.config.ports["http"][0]

    def origin(self, host=HOST):
        return f"http://{host}:{self.port}"

    def stop(self):
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for s in self._refusing:
            s.close()

    def module(self, full):
        """A handler file, imported once (as wptserve does per file, it is not reloaded)."""
        with self._modules_lock:
            mod = self._modules.get(full)
            if mod is None:
                name = "wpt_handler_" + re.sub(r"\W", "_", os.path.relpath(full,
                                                                         self.config.wpt_dir))
                spec = importlib.util.spec_from_file_location(name, full)
                mod = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(mod)
                self._modules[full] = mod
            return mod

    # wptserve's default ports: ports[http] 8000, 8001 and ports[https] 8443, 8444.
    CANONICAL_PORTS = {"http": (8000, 8001), "https": (8443, 8444)}

    def canonical_ports(self, text):
        """text with this stand-in's ports (after a ':') written as wptserve's defaults."""
        mapping = {}
        for scheme, ports in self.config.ports.items():
            for i, port in enumerate(ports):
                mapping[str(port)] = str(self.CANONICAL_PORTS[scheme][i])
        return re.sub(r"(?<=:)(\d{2,5})\b", lambda m: mapping.get(m.group(1), m.group(1)), text)

    def hosts_file_text(self):
        return "".join(f"127.0.0.1 {name}\n" for name in all_hosts())


def main():
    ap = argparse.ArgumentParser(description="Serve the wpt folder as a wptserve stand-in.")
    ap.add_argument("--wpt-dir", default=os.path.join(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), "shared", "wpt"))
    ap.add_argument("--port", type=int, default=8000)
    args = ap.parse_args()
    s = StandIn(args.wpt_dir, ports=(args.port, args.port + 1 if args.port else 0),
                verbose=True).start()
    print(f"standin: {s.config.wpt_dir} on http://127.0.0.1:{s.config.ports['http']} "
          f"(names for a hosts file: {' '.join(all_hosts())})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        s.stop()


if __name__ == "__main__":
    main()
