#!/usr/bin/python3
"""Runs the shipped reverse-proxy examples in front of flex-backend.

For each of packaging/nginx/flex-backend.conf and packaging/caddy/Caddyfile:
start twilio-emulator, flex-backend (not --dev) against it with
EXTERNAL_HOST=127.0.0.1:<proxy port>, and the proxy from the example with
only the documented placeholders substituted (see render_nginx/render_caddy
and packaging/README.md). Then, through the proxy, over TLS:

  - /healthz answers 200; /metrics and /readyz are refused, both to a
    loopback client (127.0.0.1) and to a "public" one (source 127.0.0.2);
  - a WebSocket upgrade to /websocket/outboundDial with the Flex token as
    Sec-WebSocket-Protocol gets 101 echoing the token, and frames flow;
    a bad token gets 403;
  - a status callback signed as Twilio signs it for
    https://EXTERNAL_HOST/twilio-webhook/callStatusCallbackHandler is
    accepted; tampered, signed for http://, or signed for another Host it
    gets 403; the TwiML webhook with its query string is accepted;
  - the service receives the request line byte for byte, Host equal to
    EXTERNAL_HOST (port included), X-Forwarded-Proto https, and the upgrade
    headers (a relay between proxy and service records them);
  - several upgrades right after plain requests still get 101 (no reuse of
    an upstream connection for an upgrade);
  - plain HTTP on the proxy's http port redirects to https.

Loopback only, no network. Exit 0 all passed, 1 a failure, 77 when a proxy
binary (or openssl) is missing. Environment: FLEX_BACKEND_BIN,
TWILIO_EMULATOR_BIN; argv[1] is the source tree.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

DEADLINE_S = 55
def jwt_shaped(name):
    """A Flex-token-shaped (JWT) string; the service refuses other shapes at once."""
    def b64(data):
        return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")
    return ".".join([b64('{"alg":"HS256","typ":"JWT"}'), b64('{"sub":"%s"}' % name), b64("sig-" + name)])


TOKEN = jwt_shaped("proxy-test-flex-token-0001")
IDENTITY = "alice"

SOURCE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                         os.path.join(os.path.dirname(__file__), "..", ".."))
processes = []
failures = []
started = time.monotonic()


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout("test exceeded %d s" % DEADLINE_S)


def log(msg):
    print(msg, flush=True)


def check(name, ok, detail=""):
    log("%s %s%s" % ("PASS" if ok else "FAIL", name, (": " + detail) if detail and not ok else ""))
    if not ok:
        failures.append(name)
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child process whose merged output is collected by a thread."""

    def __init__(self, name, argv, env=None, cwd=None):
        self.name = name
        self.lines = []
        self.cond = threading.Condition()
        self.p = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        processes.append(self)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.p.stdout:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, pattern, timeout):
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    m = rx.search(line)
                    if m:
                        return m
                if self.p.poll() is not None and self.p.stdout.closed:
                    break
                left = end - time.monotonic()
                if left <= 0 or self.p.poll() is not None and not self._more(left):
                    break
                self.cond.wait(min(left, 0.2))
        raise RuntimeError("%s: no line matching %r; output:\n  %s"
                           % (self.name, pattern, "\n  ".join(self.lines[-20:])))

    def _more(self, left):
        # The process exited: give the reader a moment to drain its pipe.
        self.cond.wait(min(left, 0.3))
        return False

    def stop(self, timeout=5):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
                self.p.wait(timeout)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait(2)
        return self.p.returncode

    def tail(self, n=15):
        return "\n  ".join(self.lines[-n:])


def stop_all():
    for proc in reversed(processes):
        try:
            proc.stop(3)
        except Exception:
            pass
    processes.clear()


# --- TLS and HTTP helpers -------------------------------------------------------

def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the test's own / Caddy's internal CA
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def https(port, method, path, body=None, headers=None, source="127.0.0.1"):
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=tls_context(),
                                       source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        conn.close()


def plain_http(port, method, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        conn.close()


def twilio_signature(auth_token, url, params):
    data = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


# --- WebSocket client (raw socket) ---------------------------------------------

class WebSocket:
    def __init__(self, port, path, protocol, host):
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock = tls_context().wrap_socket(raw, server_hostname=None)
        key = base64.b64encode(os.urandom(16)).decode()
        self.expected_accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: %s\r\nOrigin: https://flex.twilio.com\r\n\r\n"
               % (path, host, key, protocol))
        self.sock.sendall(req.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2) if lines and lines[0] else ["", "0"]
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def send_text(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x81])
        if n < 126:
            head += bytes([0x80 | n])
        else:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("websocket read timed out")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buf += chunk

    def recv(self, timeout=5):
        """Next text frame (answers pings); None when a close frame came."""
        deadline = time.monotonic() + timeout
        while True:
            self._need(2, deadline)
            b0, b1 = self.buf[0], self.buf[1]
            n, off = b1 & 0x7F, 2
            if n == 126:
                self._need(4, deadline)
                n, off = struct.unpack("!H", self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10, deadline)
                n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
            self._need(off + n, deadline)
            payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
            opcode = b0 & 0x0F
            if opcode == 0x1:
                return payload.decode()
            if opcode == 0x8:
                return None
            if opcode == 0x9:  # ping -> pong
                mask = os.urandom(4)
                self.sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask +
                                  bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def close(self):
        try:
            mask = os.urandom(4)
            code = struct.pack("!H", 1000)
            self.sock.sendall(bytes([0x88, 0x82]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(code)))
        except OSError:
            pass
        self.sock.close()


# --- A transparent TCP relay between the proxy and the service ------------------
#
# Records what the proxy sends upstream, so the test sees the Host,
# X-Forwarded-Proto and request line the service receives.

class Relay:
    def __init__(self, target_port):
        self.target = target_port
        self.lock = threading.Lock()
        self.upstream = bytearray()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            try:
                backend = socket.create_connection(("127.0.0.1", self.target), timeout=5)
                backend.settimeout(None)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client, backend, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(backend, client, False), daemon=True).start()

    def _pump(self, src, dst, record):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if record:
                    with self.lock:
                        self.upstream += data
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def heads(self, request_line_prefix):
        """Header dicts of the recorded requests whose request line starts so."""
        with self.lock:
            text = bytes(self.upstream).decode("latin-1")
        found = []
        for m in re.finditer(r"(%s[^\r\n]*)\r\n((?:[^\r\n]+\r\n)*)\r\n"
                             % re.escape(request_line_prefix), text):
            headers = {}
            for line in m.group(2).split("\r\n"):
                k, _, v = line.partition(":")
                if k:
                    headers[k.strip().lower()] = v.strip()
            found.append((m.group(1), headers))
        return found

    def close(self):
        self.server.close()


# --- Rendering the shipped examples --------------------------------------------
#
# The only changes from the shipped text are the documented placeholders:
# flex.example.com (server name / site address), its certificate paths,
# 127.0.0.1:3000 (the service), the listen ports 443 and 80 (bound to
# 127.0.0.1 here; the [::] listen lines are dropped), and for Caddy a global
# options block prepended (no admin API, local CA, loopback, temp storage).

def substitute(text, pairs, name):
    for old, new in pairs:
        if old not in text:
            raise RuntimeError("%s: placeholder %r not found in the shipped example" % (name, old))
        text = text.replace(old, new)
    return text


def render_nginx(tmp, upstream_port, https_port, http_port, cert, key, host):
    with open(os.path.join(SOURCE, "packaging/nginx/flex-backend.conf")) as f:
        site = f.read()
    site = substitute(site, [
        ("/etc/letsencrypt/live/flex.example.com/fullchain.pem", cert),
        ("/etc/letsencrypt/live/flex.example.com/privkey.pem", key),
        ("flex.example.com", host),
        ("server 127.0.0.1:3000;", "server 127.0.0.1:%d;" % upstream_port),
        ("listen 443 ", "listen 127.0.0.1:%d " % https_port),
        ("listen 80;", "listen 127.0.0.1:%d;" % http_port),
    ], "nginx")
    site = "\n".join(l for l in site.split("\n") if not l.strip().startswith("listen [::]"))
    site_path = os.path.join(tmp, "flex-backend.conf")
    with open(site_path, "w") as f:
        f.write(site)
    # What /etc/nginx/nginx.conf does for a site: include it inside http {}.
    main = os.path.join(tmp, "nginx.conf")
    with open(main, "w") as f:
        f.write("error_log %s/error.log info;\nworker_processes 1;\n"
                "events { worker_connections 256; }\n"
                "http {\n  access_log %s/access.log;\n"
                "  client_body_temp_path %s/body;\n  proxy_temp_path %s/proxy;\n"
                "  include %s;\n}\n" % (tmp, tmp, tmp, tmp, site_path))
    return main


def render_caddy(tmp, upstream_port, https_port, http_port, host):
    with open(os.path.join(SOURCE, "packaging/caddy/Caddyfile")) as f:
        site = f.read()
    site = substitute(site, [
        ("flex.example.com {", "%s:%d {" % (host, https_port)),
        ("127.0.0.1:3000", "127.0.0.1:%d" % upstream_port),
    ], "caddy")
    glob = ("{\n\tadmin off\n\tlocal_certs\n\tskip_install_trust\n\tdefault_bind 127.0.0.1\n"
            "\thttp_port %d\n\thttps_port %d\n\tstorage file_system %s/caddy-data\n}\n\n"
            % (http_port, https_port, tmp))
    path = os.path.join(tmp, "Caddyfile")
    with open(path, "w") as f:
        f.write(glob + site)
    return path


# --- The checks ----------------------------------------------------------------

def wait_https(port, timeout):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            return https(port, "GET", "/healthz")
        except (OSError, http.client.HTTPException) as e:
            last = e
            time.sleep(0.1)
    raise RuntimeError("proxy did not answer on %d: %s" % (port, last))


def run_checks(name, creds, backend_port, https_port, http_port, relay):
    external = "127.0.0.1:%d" % https_port
    p = name + ": "
    auth_token = creds["authToken"]

    status, _, body = wait_https(https_port, 10)
    check(p + "GET /healthz through the proxy is 200", status == 200, "%d %r" % (status, body[:80]))

    # Ops endpoints: served on the service's own loopback port, not via the proxy.
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % backend_port, timeout=5) as r:
        check(p + "GET /metrics directly on the service's loopback port is 200", r.status == 200)
    for path in ("/metrics", "/readyz"):
        for source in ("127.0.0.1", "127.0.0.2"):
            status, _, body = https(https_port, "GET", path, source=source)
            check(p + "GET %s through the proxy from %s is refused (403)" % (path, source),
                  status == 403, "%d %r" % (status, body[:120]))

    # WebSocket upgrades right after plain requests: a proxy that reuses an
    # upstream connection for the upgrade would get 404 from the service
    # (it recognises an upgrade only as a connection's first request).
    for i in range(3):
        https(https_port, "GET", "/healthz")
        extra = WebSocket(https_port, "/websocket/outboundDial", TOKEN, external)
        if not check(p + "WebSocket upgrade #%d right after an HTTP request is 101" % (i + 1),
                     extra.status == 101, "status %d, headers %r" % (extra.status, extra.headers)):
            extra.sock.close()
            break
        extra.close()

    # WebSocket upgrade with the Flex token as the subprotocol.
    ws = WebSocket(https_port, "/websocket/outboundDial", TOKEN, external)
    ok = ws.status == 101 and ws.headers.get("sec-websocket-protocol") == TOKEN
    check(p + "WebSocket upgrade with a good token is 101 and echoes the token", ok,
          "status %d, headers %r" % (ws.status, ws.headers))
    check(p + "101 carries the right Sec-WebSocket-Accept",
          ws.headers.get("sec-websocket-accept") == ws.expected_accept, repr(ws.headers))
    if ws.status == 101:
        ws.send_text("hello through the proxy")
        got = ws.recv()
        check(p + "frames flow through the upgraded connection", got == "echo: hello through the proxy",
              repr(got))
    bad = WebSocket(https_port, "/websocket/outboundDial", "not-a-valid-token", external)
    check(p + "WebSocket upgrade with a bad token is 403", bad.status == 403,
          "status %d" % bad.status)
    bad.sock.close()

    # Webhooks signed like Twilio signs them.
    path = "/twilio-webhook/callStatusCallbackHandler"
    params = {"CallSid": "CA" + "0" * 31 + "9", "CallStatus": "ringing",
              "AccountSid": creds["accountSid"], "From": "+15557654321", "To": "+15551234567",
              "Direction": "outbound-api", "ApiVersion": "2010-04-01",
              "CallbackSource": "call-progress-events", "SequenceNumber": "0"}
    body = urllib.parse.urlencode(params)
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def post(sig_url, send_params=params, host=external, p_path=path):
        h = dict(form, Host=host)
        h["X-Twilio-Signature"] = twilio_signature(auth_token, sig_url, params)
        return https(https_port, "POST", p_path, urllib.parse.urlencode(send_params), h)

    status, headers, rbody = post("https://%s%s" % (external, path))
    check(p + "status callback signed for https://EXTERNAL_HOST/... is accepted (200)",
          status == 200 and b"Response" in rbody, "%d %r" % (status, rbody[:120]))
    tampered = dict(params, CallStatus="completed")
    status, _, rbody = post("https://%s%s" % (external, path), send_params=tampered)
    check(p + "tampered status callback is 403", status == 403, "%d %r" % (status, rbody[:80]))
    status, _, rbody = post("http://%s%s" % (external, path))
    check(p + "callback signed for http:// (X-Forwarded-Proto's view) is 403", status == 403,
          "%d %r" % (status, rbody[:80]))
    status, _, rbody = post("https://evil.example%s" % path, host="evil.example")
    check(p + "callback signed for another Host it sends is not accepted",
          not (status == 200 and b"Response" in rbody), "%d %r" % (status, rbody[:80]))

    twiml_path = "/twilio-webhook/callHandlerTwiml?workerContactUri=client%3Aalice"
    tparams = {"CallSid": params["CallSid"], "AccountSid": creds["accountSid"],
               "From": "+15557654321", "To": "+15551234567", "CallStatus": "in-progress",
               "Direction": "outbound-api", "ApiVersion": "2010-04-01"}
    h = dict(form, Host=external)
    h["X-Twilio-Signature"] = twilio_signature(auth_token, "https://%s%s" % (external, twiml_path), tparams)
    status, _, rbody = https(https_port, "POST", twiml_path, urllib.parse.urlencode(tparams), h)
    check(p + "TwiML webhook with its query string is accepted and enqueues to client:alice",
          status == 200 and b"client:alice" in rbody and b"<Enqueue" in rbody,
          "%d %r" % (status, rbody[:160]))

    # What the service received from the proxy.
    heads = relay.heads("POST " + twiml_path + " HTTP/1.1")
    check(p + "path and query reach the service byte for byte", len(heads) >= 1,
          "no upstream request line %r" % ("POST " + twiml_path))
    if heads:
        hdr = heads[-1][1]
        check(p + "the service receives Host: EXTERNAL_HOST unchanged (port included)",
              hdr.get("host") == external, "Host %r" % hdr.get("host"))
        check(p + "the service receives X-Forwarded-Proto: https",
              hdr.get("x-forwarded-proto") == "https", "%r" % hdr.get("x-forwarded-proto"))
    heads = relay.heads("GET /websocket/outboundDial HTTP/1.1")
    ok = any(h.get("sec-websocket-protocol") == TOKEN and h.get("upgrade", "").lower() == "websocket"
             for _, h in heads)
    check(p + "the upgrade reaches the service with Upgrade and Sec-WebSocket-Protocol", ok,
          repr([h for _, h in heads]))

    ws.close()

    # Plain HTTP on the proxy's http port redirects to https.
    status, headers, _ = plain_http(http_port, "GET", "/healthz", {"Host": "127.0.0.1:%d" % http_port})
    check(p + "plain HTTP redirects to https", status in (301, 302, 307, 308) and
          headers.get("location", "").startswith("https://"), "%d %r" % (status, headers))


def run_proxy(name, tmp, emu_url, creds, cert, key):
    # A port probed free may be taken (by any process's outgoing connection)
    # before the proxy binds it: then everything starts again on new ports,
    # since EXTERNAL_HOST names the port. Five tries at most.
    for attempt in range(5):
        sub = os.path.join(tmp, "try%d" % attempt)
        os.makedirs(sub)
        if not run_proxy_once(name, sub, emu_url, creds, cert, key, may_retry=attempt < 4):
            return
        log("  %s: a probed port was taken before it could bind it; again on new ports" % name)


def port_taken(name, tmp, proxy):
    text = proxy.tail(50)
    if name == "nginx" and os.path.exists(tmp + "/error.log"):
        with open(tmp + "/error.log") as f:
            text += f.read()
    return "address already in use" in text.lower()


def run_proxy_once(name, tmp, emu_url, creds, cert, key, may_retry):
    """Runs the checks through one proxy; True when they should run again
    because a port was taken."""
    https_port, http_port = free_port(), free_port()
    external = "127.0.0.1:%d" % https_port
    state = os.path.join(tmp, "state")
    os.makedirs(state, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "METRICS_"))}
    env.update({
        "TWILIO_ACCOUNT_SID": creds["accountSid"], "TWILIO_AUTH_TOKEN": creds["authToken"],
        "TWILIO_OUTBOUND_WORKFLOW_SID": creds["workflowSid"],
        "TWILIO_FLEX_WORKSPACE_SID": creds["workspaceSid"],
        "TWILIO_API_URL": emu_url, "TWILIO_TASKROUTER_URL": emu_url, "TWILIO_IAM_URL": emu_url,
        "BIND_ADDRESS": "127.0.0.1", "PORT": "0", "STATE_DIR": state, "EXTERNAL_HOST": external,
        "LOG_LEVEL": os.environ.get("PROXY_TEST_LOG_LEVEL", "info"),
    })
    backend = Proc(name + "/flex-backend", [os.environ["FLEX_BACKEND_BIN"]], env=env, cwd=tmp)
    backend_port = int(backend.wait_for(r"listening on http://127\.0\.0\.1:(\d+)", 10).group(1))
    relay = Relay(backend_port)

    penv = dict(os.environ, HOME=tmp, XDG_DATA_HOME=os.path.join(tmp, "xdg-data"),
                XDG_CONFIG_HOME=os.path.join(tmp, "xdg-config"))
    if name == "nginx":
        conf = render_nginx(tmp, relay.port, https_port, http_port, cert, key, "127.0.0.1")
        argv = [shutil.which("nginx"), "-p", tmp + "/", "-e", tmp + "/error.log", "-c", conf,
                "-g", "daemon off; pid %s/nginx.pid;" % tmp]
        t = subprocess.run(argv[:-2] + ["-t"], capture_output=True, text=True, timeout=10)
        if not check(name + ": nginx -t accepts the rendered example", t.returncode == 0, t.stderr):
            return
    else:
        conf = render_caddy(tmp, relay.port, https_port, http_port, "127.0.0.1")
        t = subprocess.run([shutil.which("caddy"), "validate", "--config", conf, "--adapter", "caddyfile"],
                           capture_output=True, text=True, timeout=20, env=penv)
        if not check(name + ": caddy validate accepts the rendered example", t.returncode == 0,
                     t.stderr[-600:]):
            return
        argv = [shutil.which("caddy"), "run", "--config", conf, "--adapter", "caddyfile"]
    proxy = Proc(name, argv, env=penv, cwd=tmp)
    try:
        wait_https(https_port, 15)
        run_checks(name, creds, backend_port, https_port, http_port, relay)
    except Exception as e:
        if may_retry and port_taken(name, tmp, proxy):
            return True
        check(name + ": checks ran to completion", False, "%s: %s" % (type(e).__name__, e))
        log("  %s output:\n  %s" % (name, proxy.tail()))
        if name == "nginx" and os.path.exists(tmp + "/error.log"):
            with open(tmp + "/error.log") as f:
                log("  error.log:\n  " + "\n  ".join(f.read().splitlines()[-15:]))
    finally:
        proxy.stop()
        relay.close()
        if os.environ.get("PROXY_TEST_DUMP"):
            log("  what %s sent upstream:\n%s" % (name, bytes(relay.upstream).decode("latin-1")))
            log("  flex-backend said:\n  %s" % backend.tail(80))
        rc = backend.stop(8)
        check(name + ": flex-backend exits 0 on SIGTERM", rc == 0, "rc %s; output:\n  %s" % (rc, backend.tail()))
        processes.remove(proxy)
        processes.remove(backend)
    return False


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(Timeout("SIGTERM")))
    signal.alarm(DEADLINE_S)
    for var in ("FLEX_BACKEND_BIN", "TWILIO_EMULATOR_BIN"):
        if not os.access(os.environ.get(var, ""), os.X_OK):
            log("FAIL %s is not set to an executable" % var)
            return 1
    if not shutil.which("openssl"):
        log("SKIP openssl is not installed")
        return 77
    wanted = os.environ.get("PROXY_TEST_ONLY", "nginx caddy").split()
    proxies = [n for n in wanted if shutil.which(n)]
    missing = [n for n in wanted if n not in proxies]
    for n in missing:
        log("SKIP %s is not installed (scripts/deps --test)" % n)
    if not proxies:
        return 77

    tmp = tempfile.mkdtemp(prefix="flex-proxy-test-")
    try:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True, timeout=10)
        emu = Proc("twilio-emulator", [os.environ["TWILIO_EMULATOR_BIN"], "--port", "0",
                                        "--token", "%s:%s:agent" % (TOKEN, IDENTITY),
                                        "--warmup-s", "0"], cwd=tmp)
        emu_url = emu.wait_for(r"listening on (http://127\.0\.0\.1:\d+)", 10).group(1)
        with urllib.request.urlopen(emu_url + "/__emulator/", timeout=5) as r:
            creds = json.load(r)
        creds = {k: creds[k] for k in ("accountSid", "authToken", "workspaceSid", "workflowSid")}
        for name in proxies:
            sub = os.path.join(tmp, name)
            os.makedirs(sub)
            t0 = time.monotonic()
            run_proxy(name, sub, emu_url, creds, cert, key)
            log("     %s took %.1f s" % (name, time.monotonic() - t0))
    except Timeout as e:
        check("finished in time", False, str(e))
    except Exception as e:
        check("setup", False, "%s: %s" % (type(e).__name__, e))
        for proc in processes:
            log("  %s output:\n  %s" % (proc.name, proc.tail()))
    finally:
        signal.alarm(0)
        stop_all()
        if not os.environ.get("PROXY_TEST_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log("     kept " + tmp)

    log("%s in %.1f s" % ("FAIL (%d)" % len(failures) if failures else "PASS",
                          time.monotonic() - started))
    if failures:
        return 1
    return 77 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
