#!/usr/bin/env python3
"""Small SIP client for the Voicelamp test lab (python3 stdlib only).

Builds and parses SIP messages, answers digest challenges (MD5, SHA-256;
qop=auth), sends over UDP (RFC 3261 timer E retransmission), TCP or TLS with
bounded timeouts, collects in-dialog NOTIFYs and answers them 200 OK.

Also the lab's process helpers: ``siplab.py wait-up|wait-free|wait-pid-exit|options|register``.

Everything here talks to loopback only; every wait has a deadline.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import socket
import ssl
import sys
import time
from dataclasses import dataclass, field

T1 = 0.5
T2 = 4.0
MAX_MSG = 65535

COMPACT = {
    "i": "call-id", "m": "contact", "e": "content-encoding", "l": "content-length",
    "c": "content-type", "f": "from", "s": "subject", "k": "supported", "t": "to",
    "v": "via", "o": "event", "u": "allow-events", "r": "refer-to",
}

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def lab_env(name: str, default: str | None = None) -> str:
    v = os.environ.get(name)
    if v:
        return v
    if default is None:
        raise SystemExit(f"{name} is not set: eval \"$(tests/lab/lab env)\" first")
    return default


def rand_token(n: int = 10) -> str:
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


# --------------------------------------------------------------------------- messages


@dataclass
class SipMessage:
    start: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def is_response(self) -> bool:
        return self.start.startswith("SIP/2.0 ")

    @property
    def status(self) -> int:
        return int(self.start.split(" ", 2)[1]) if self.is_response else 0

    @property
    def reason(self) -> str:
        parts = self.start.split(" ", 2)
        return parts[2] if len(parts) > 2 else ""

    @property
    def method(self) -> str:
        if self.is_response:
            return self.cseq()[1]
        return self.start.split(" ", 1)[0]

    @property
    def uri(self) -> str:
        return self.start.split(" ")[1]

    def get(self, name: str) -> str | None:
        name = COMPACT.get(name.lower(), name.lower())
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def get_all(self, name: str) -> list[str]:
        name = COMPACT.get(name.lower(), name.lower())
        return [v for k, v in self.headers if k == name]

    def cseq(self) -> tuple[int, str]:
        n, m = (self.get("cseq") or "0 X").split()
        return int(n), m

    def branch(self) -> str:
        via = self.get("via") or ""
        m = re.search(r";\s*branch=([^;,\s]+)", via)
        return m.group(1) if m else ""

    def to_bytes(self) -> bytes:
        lines = [self.start]
        has_cl = False
        for k, v in self.headers:
            if k.lower() == "content-length":
                has_cl = True
                v = str(len(self.body))
            lines.append(f"{canonical(k)}: {v}")
        if not has_cl:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body

    def text(self) -> str:
        return self.to_bytes().decode(errors="replace")

    def __str__(self) -> str:
        return self.start


def canonical(name: str) -> str:
    special = {"call-id": "Call-ID", "cseq": "CSeq", "www-authenticate": "WWW-Authenticate",
               "sip-etag": "SIP-ETag", "sip-if-match": "SIP-If-Match", "min-expires": "Min-Expires"}
    if name.lower() in special:
        return special[name.lower()]
    return "-".join(p[:1].upper() + p[1:] for p in name.split("-"))


def parse_message(data: bytes) -> SipMessage:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    text = head.decode("utf-8", errors="replace")
    raw_lines = re.split(r"\r?\n", text)
    # unfold continuation lines
    lines: list[str] = []
    for ln in raw_lines:
        if ln[:1] in (" ", "\t") and lines:
            lines[-1] += " " + ln.strip()
        else:
            lines.append(ln)
    msg = SipMessage(lines[0].strip())
    for ln in lines[1:]:
        if ":" not in ln:
            continue
        k, v = ln.split(":", 1)
        k = k.strip().lower()
        msg.headers.append((COMPACT.get(k, k), v.strip()))
    cl = msg.get("content-length")
    msg.body = body[: int(cl)] if cl is not None and cl.isdigit() else body
    return msg


def param(value: str, name: str) -> str | None:
    m = re.search(r"(?:^|;)\s*" + re.escape(name) + r"\s*=\s*(\"[^\"]*\"|[^;,\s]+)", value, re.I)
    if not m:
        return None
    return m.group(1).strip('"')


def parse_challenge(value: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = value.strip().partition(" ")
    out: dict[str, str] = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("([^"]*)"|[^,\s]+)', rest):
        out[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return scheme, out


def digest_authorization(challenge: str, method: str, uri: str, user: str, password: str,
                         nc: int = 1, cnonce: str | None = None) -> str:
    scheme, ch = parse_challenge(challenge)
    if scheme.lower() != "digest":
        raise ValueError(f"unsupported auth scheme {scheme}")
    algo = ch.get("algorithm", "MD5").upper()
    hfn = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256,
           "SHA-512-256": lambda b: hashlib.new("sha512_256", b)}.get(algo)
    if hfn is None:
        raise ValueError(f"unsupported digest algorithm {algo}")

    def h(s: str) -> str:
        return hfn(s.encode()).hexdigest()

    realm, nonce = ch["realm"], ch["nonce"]
    ha1 = h(f"{user}:{realm}:{password}")
    ha2 = h(f"{method}:{uri}")
    qops = [q.strip() for q in ch.get("qop", "").split(",") if q.strip()]
    parts = [f'username="{user}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if "auth" in qops:
        cnonce = cnonce or rand_token(16)
        ncs = f"{nc:08x}"
        resp = h(f"{ha1}:{nonce}:{ncs}:{cnonce}:auth:{ha2}")
        parts += [f'response="{resp}"', "qop=auth", f"nc={ncs}", f'cnonce="{cnonce}"']
    else:
        parts.append(f'response="{h(f"{ha1}:{nonce}:{ha2}")}"')
    parts.append(f"algorithm={algo}")
    if "opaque" in ch:
        parts.append(f'opaque="{ch["opaque"]}"')
    return "Digest " + ", ".join(parts)


# --------------------------------------------------------------------------- transport


class SipError(Exception):
    pass


class Transport:
    """One socket to the lab (udp, tcp or tls) with message framing."""

    def __init__(self, proto: str, host: str, port: int, cafile: str | None = None,
                 timeout: float = 5.0):
        if host not in LOOPBACK:
            raise SipError(f"lab traffic goes to loopback only, not {host}")
        self.proto = proto.lower()
        self.peer = (host, port)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        bind_host = "::1" if fam == socket.AF_INET6 else "127.0.0.1"
        if self.proto == "udp":
            self.sock = socket.socket(fam, socket.SOCK_DGRAM)
            self.sock.bind((bind_host, 0))
        elif self.proto in ("tcp", "tls"):
            raw = socket.socket(fam, socket.SOCK_STREAM)
            raw.settimeout(timeout)
            raw.bind((bind_host, 0))
            raw.connect(self.peer)
            if self.proto == "tls":
                ctx = ssl.create_default_context(cafile=cafile)
                ctx.check_hostname = True
                self.sock = ctx.wrap_socket(raw, server_hostname=host)
            else:
                self.sock = raw
        else:
            raise SipError(f"unknown transport {proto}")
        self.local = self.sock.getsockname()[:2]
        self.buf = b""

    @property
    def via_proto(self) -> str:
        return self.proto.upper()

    def host_port(self) -> str:
        h, p = self.local
        return f"[{h}]:{p}" if ":" in h else f"{h}:{p}"

    def send(self, data: bytes) -> None:
        if self.proto == "udp":
            self.sock.sendto(data, self.peer)
        else:
            self.sock.sendall(data)

    def recv(self, timeout: float) -> SipMessage | None:
        """One message, or None when `timeout` passes."""
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            if self.proto != "udp":
                msg = self._frame()
                if msg is not None:
                    return msg
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                if self.proto == "udp":
                    data, _ = self.sock.recvfrom(MAX_MSG)
                    if data.strip() == b"":
                        continue
                    return parse_message(data)
                chunk = self.sock.recv(MAX_MSG)
            except (socket.timeout, TimeoutError):
                return None
            except ssl.SSLWantReadError:
                continue
            if not chunk:
                raise SipError("connection closed by the server")
            self.buf += chunk

    def _frame(self) -> SipMessage | None:
        self.buf = self.buf.lstrip(b"\r\n")  # CRLF keepalives
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buf[:end].decode(errors="replace")
        m = re.search(r"^(?:content-length|l)\s*:\s*(\d+)", head, re.I | re.M)
        n = int(m.group(1)) if m else 0
        total = end + 4 + n
        if len(self.buf) < total:
            return None
        data, self.buf = self.buf[:total], self.buf[total:]
        return parse_message(data)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------- user agent


@dataclass
class Dialog:
    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: str
    remote_uri: str
    target: str
    cseq: int


class UA:
    """A lab user agent: one transport, one identity, simple transactions."""

    def __init__(self, user: str, password: str | None, proto: str = "udp",
                 host: str | None = None, port: int | None = None, domain: str | None = None,
                 cafile: str | None = None, display: str | None = None,
                 connect_timeout: float = 5.0):
        self.user = user
        self.password = password
        self.domain = domain or lab_env("LAB_SIP_DOMAIN", "127.0.0.1")
        host = host or lab_env("LAB_SIP_HOST", "127.0.0.1")
        if port is None:
            port = int({"udp": lab_env("LAB_SIP_UDP_PORT", "35060"),
                        "tcp": lab_env("LAB_SIP_TCP_PORT", "35060"),
                        "tls": lab_env("LAB_SIP_TLS_PORT", "35061")}[proto.lower()])
        if proto.lower() == "tls" and cafile is None:
            cafile = lab_env("LAB_CA_FILE")
        self.t = Transport(proto, host, port, cafile=cafile, timeout=connect_timeout)
        self.aor = f"sip:{user}@{self.domain}"
        self.tag = rand_token(8)
        self.display = display
        self.nc = 0
        self.notifies: list[SipMessage] = []   # NOTIFYs received (already answered)
        self.seen: set[tuple] = set()
        self.stray: list[SipMessage] = []      # other messages not yet consumed
        self.dialogs: dict[str, Dialog] = {}
        self.last_challenge: str | None = None
        self.log: list[str] = []

    # -- building ---------------------------------------------------------
    def contact(self) -> str:
        t = "" if self.t.proto == "udp" else f";transport={self.t.proto}"
        return f"<sip:{self.user}@{self.t.host_port()}{t}>"

    def new_request(self, method: str, ruri: str, to_uri: str | None = None, *,
                    call_id: str | None = None, cseq: int = 1, from_tag: str | None = None,
                    to_tag: str | None = None, headers: list[tuple[str, str]] | None = None,
                    body: bytes = b"", from_uri: str | None = None) -> SipMessage:
        to_uri = to_uri or ruri
        branch = "z9hG4bK" + rand_token(14)
        msg = SipMessage(f"{method} {ruri} SIP/2.0")
        msg.headers += [
            ("via", f"SIP/2.0/{self.t.via_proto} {self.t.host_port()};branch={branch};rport"),
            ("max-forwards", "70"),
            ("from", f"<{from_uri or self.aor}>;tag={from_tag or self.tag}"),
            ("to", f"<{to_uri}>" + (f";tag={to_tag}" if to_tag else "")),
            ("call-id", call_id or f"{rand_token(16)}@voicelamp-lab"),
            ("cseq", f"{cseq} {method}"),
            ("user-agent", "voicelamp-lab-siplab"),
        ]
        msg.headers += headers or []
        msg.body = body
        return msg

    # -- I/O --------------------------------------------------------------
    def _answer(self, req: SipMessage) -> None:
        """Answer server requests: NOTIFY 200, OPTIONS 200, others 405."""
        code, reason = (200, "OK") if req.method in ("NOTIFY", "OPTIONS") else (405, "Method Not Allowed")
        resp = SipMessage(f"SIP/2.0 {code} {reason}")
        for k in ("via", "from", "to", "call-id", "cseq"):
            for v in req.get_all(k):
                if k == "to" and "tag=" not in v:
                    v = v + ";tag=" + rand_token(8)
                resp.headers.append((k, v))
        self.t.send(resp.to_bytes())
        if req.method == "NOTIFY":
            # A retransmitted NOTIFY (answered late) is answered again but kept once.
            key = (req.get("call-id"), req.get("cseq"), req.branch())
            if key not in self.seen:
                self.seen.add(key)
                self.notifies.append(req)

    def _dispatch(self, msg: SipMessage) -> None:
        if msg.is_response:
            self.stray.append(msg)
        else:
            self._answer(msg)

    def transact(self, req: SipMessage, timeout: float = 4.0) -> SipMessage:
        """Send a non-INVITE request and return its final response.

        UDP retransmits per timer E (T1 doubling, capped at T2); the whole
        transaction is bounded by `timeout` seconds (timer F in the RFC is 32 s,
        the lab is on loopback so a few seconds is plenty)."""
        data = req.to_bytes()
        branch = req.branch()
        cseq = req.cseq()
        start = time.monotonic()
        deadline = start + timeout
        interval = T1
        next_tx = start + interval
        self.t.send(data)
        self.log.append(">> " + req.start)
        provisional = False
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise SipError(f"timeout: no final response to {req.method} within {timeout:.1f}s")
            wait = deadline - now
            if self.t.proto == "udp":
                wait = min(wait, max(next_tx - now, 0.0))
            msg = self.t.recv(wait)
            if msg is None:
                if self.t.proto == "udp" and time.monotonic() >= next_tx:
                    self.t.send(data)
                    interval = T2 if provisional else min(interval * 2, T2)
                    next_tx = time.monotonic() + interval
                continue
            if msg.is_response and msg.branch() == branch and msg.cseq() == cseq:
                self.log.append("<< " + msg.start)
                if msg.status >= 200:
                    return msg
                provisional = True
                continue
            self._dispatch(msg)

    def request(self, req: SipMessage, timeout: float = 4.0, auth: bool = True) -> SipMessage:
        """Send `req`; on 401/407 answer the challenge once with a new CSeq."""
        resp = self.transact(req, timeout)
        if auth and resp.status in (401, 407) and self.password is not None:
            hname = "www-authenticate" if resp.status == 401 else "proxy-authenticate"
            challenge = resp.get(hname)
            if not challenge:
                return resp
            self.last_challenge = challenge
            self.nc += 1
            n, m = req.cseq()
            uri = req.uri
            retry = SipMessage(req.start, [(k, v) for k, v in req.headers
                                           if k not in ("via", "cseq", "authorization",
                                                        "proxy-authorization")], req.body)
            branch = "z9hG4bK" + rand_token(14)
            retry.headers.insert(0, ("via", f"SIP/2.0/{self.t.via_proto} {self.t.host_port()};branch={branch};rport"))
            retry.headers.append(("cseq", f"{n + 1} {m}"))
            aname = "authorization" if resp.status == 401 else "proxy-authorization"
            retry.headers.append((aname, digest_authorization(challenge, m, uri, self.user,
                                                              self.password, nc=1)))
            resp = self.transact(retry, timeout)
            resp.request = retry  # type: ignore[attr-defined]
        else:
            resp.request = req  # type: ignore[attr-defined]
        return resp

    # -- operations ------------------------------------------------------
    def register(self, expires: int = 60, timeout: float = 4.0, auth: bool = True) -> SipMessage:
        req = self.new_request("REGISTER", f"sip:{self.domain}", self.aor,
                               headers=[("contact", self.contact()), ("expires", str(expires))])
        return self.request(req, timeout, auth)

    def subscribe(self, mailbox_uri: str | None = None, expires: int = 60, timeout: float = 4.0,
                  auth: bool = True) -> SipMessage:
        target = mailbox_uri or self.aor
        call_id = f"{rand_token(16)}@voicelamp-lab"
        req = self.new_request("SUBSCRIBE", target, target, call_id=call_id, headers=[
            ("contact", self.contact()), ("event", "message-summary"),
            ("accept", "application/simple-message-summary"), ("expires", str(expires))])
        resp = self.request(req, timeout, auth)
        if 200 <= resp.status < 300:
            to = resp.get("to") or ""
            sent = resp.request  # type: ignore[attr-defined]
            self.dialogs[call_id] = Dialog(call_id, self.tag, param(to, "tag") or "", self.aor,
                                           target, _contact_uri(resp.get("contact")) or target,
                                           sent.cseq()[0])
        resp.call_id = call_id  # type: ignore[attr-defined]
        return resp

    def resubscribe(self, call_id: str, expires: int, timeout: float = 4.0) -> SipMessage:
        d = self.dialogs[call_id]
        d.cseq += 2
        req = self.new_request("SUBSCRIBE", d.target, d.remote_uri, call_id=call_id, cseq=d.cseq,
                               to_tag=d.remote_tag, headers=[
                                   ("contact", self.contact()), ("event", "message-summary"),
                                   ("accept", "application/simple-message-summary"),
                                   ("expires", str(expires))])
        resp = self.request(req, timeout)
        d.cseq = resp.request.cseq()[0]  # type: ignore[attr-defined]
        return resp

    def wait_notify(self, timeout: float, pred=None, call_id: str | None = None) -> SipMessage | None:
        """First not yet consumed NOTIFY matching `pred` (and `call_id`), within `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            for i, n in enumerate(self.notifies):
                if call_id is not None and n.get("call-id") != call_id:
                    continue
                if pred is None or pred(n):
                    return self.notifies.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            msg = self.t.recv(left)
            if msg is not None:
                self._dispatch(msg)

    def close(self) -> None:
        self.t.close()


def _contact_uri(v: str | None) -> str | None:
    if not v:
        return None
    m = re.search(r"<([^>]+)>", v)
    return m.group(1) if m else v.split(";")[0].strip()


def mwi_body(account: str, new: int, old: int, urgent_new: int = 0, urgent_old: int = 0) -> bytes:
    waiting = "yes" if new > 0 else "no"
    return (f"Messages-Waiting: {waiting}\r\n"
            f"Message-Account: {account}\r\n"
            f"Voice-Message: {new}/{old} ({urgent_new}/{urgent_old})\r\n").encode()


# --------------------------------------------------------------------------- lab process helpers


def _tcp_open(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _imap_ok(port: int, timeout: float, cafile: str | None = None, tls: bool = False) -> bool:
    """True once the server sends its IMAP greeting (Dovecot waits for auth first)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
            s = raw
            if tls:
                s = ssl.create_default_context(cafile=cafile).wrap_socket(raw, server_hostname="127.0.0.1")
            greeting = s.recv(512)
            if greeting.startswith(b"* OK"):
                s.sendall(b"a LOGOUT\r\n")
                return True
            return False
    except (OSError, ssl.SSLError):
        return False


def _options_ok(proto: str, port: int, timeout: float, cafile: str | None = None) -> bool:
    try:
        ua = UA("probe", None, proto, port=port, cafile=cafile, connect_timeout=timeout)
    except (OSError, ssl.SSLError, SipError):
        return False
    try:
        resp = ua.transact(ua.new_request("OPTIONS", f"sip:127.0.0.1:{port}"), timeout)
        return resp.status == 200
    except (SipError, OSError):
        return False
    finally:
        ua.close()


def _port_free(proto: str, port: int) -> bool:
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET, "0.0.0.0")):
        s = socket.socket(fam, kind)
        try:
            if kind == socket.SOCK_STREAM:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def _poll(check, timeout: float, step: float = 0.05) -> bool:
    """Poll `check()` until true or `timeout` passes; the step grows to 0.2 s."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(step, left))
        step = min(step * 1.5, 0.2)


def cli(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="siplab.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("wait-up", help="wait until lab ports accept connections")
    up.add_argument("--timeout", type=float, default=20)
    up.add_argument("--sip-udp", type=int, action="append", default=[])
    up.add_argument("--sip-tcp", type=int, action="append", default=[])
    up.add_argument("--sip-tls", type=int, action="append", default=[])
    up.add_argument("--tcp", type=int, action="append", default=[])
    up.add_argument("--imap", type=int, action="append", default=[])
    up.add_argument("--imaps", type=int, action="append", default=[])
    up.add_argument("--cafile")
    fr = sub.add_parser("wait-free", help="wait until ports (udp:N tcp:N) can be bound")
    fr.add_argument("--timeout", type=float, default=20)
    fr.add_argument("ports", nargs="+")
    wp = sub.add_parser("wait-pid-exit", help="wait until a process exits")
    wp.add_argument("pid", type=int)
    wp.add_argument("--timeout", type=float, default=1)
    op = sub.add_parser("options", help="send OPTIONS and print the status line")
    op.add_argument("--proto", default="udp")
    op.add_argument("--port", type=int)
    rg = sub.add_parser("register", help="register USER (password pw-USER) over UDP, like a "
                        "desk phone, print the 200's Contact values, one a line, and exit "
                        "(the binding stays until it expires)")
    rg.add_argument("user")
    rg.add_argument("--expires", type=int, default=120)
    a = ap.parse_args(argv)

    if a.cmd == "wait-up":
        deadline = time.monotonic() + a.timeout
        checks = ([("sip-udp", p, lambda p=p: _options_ok("udp", p, 0.5)) for p in a.sip_udp] +
                  [("sip-tcp", p, lambda p=p: _options_ok("tcp", p, 0.5)) for p in a.sip_tcp] +
                  [("sip-tls", p, lambda p=p: _options_ok("tls", p, 0.5, a.cafile)) for p in a.sip_tls] +
                  [("tcp", p, lambda p=p: _tcp_open("127.0.0.1", p, 0.5)) for p in a.tcp] +
                  [("imap", p, lambda p=p: _imap_ok(p, 0.5)) for p in a.imap] +
                  [("imaps", p, lambda p=p: _imap_ok(p, 0.5, a.cafile, True)) for p in a.imaps])
        for name, port, check in checks:
            if not _poll(check, max(deadline - time.monotonic(), 0)):
                print(f"not up: {name} {port}", file=sys.stderr)
                return 1
        return 0
    if a.cmd == "wait-free":
        ports = [p.split(":") for p in a.ports]
        ok = _poll(lambda: all(_port_free(pr, int(n)) for pr, n in ports), a.timeout)
        if not ok:
            busy = [f"{pr}:{n}" for pr, n in ports if not _port_free(pr, int(n))]
            print("busy: " + " ".join(busy), file=sys.stderr)
        return 0 if ok else 1
    if a.cmd == "wait-pid-exit":
        def gone() -> bool:
            try:
                os.kill(a.pid, 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                return False
            # a zombie child of ours is gone for our purpose
            try:
                with open(f"/proc/{a.pid}/stat") as f:
                    return f.read().split(")")[-1].split()[0] == "Z"
            except OSError:
                return True
        return 0 if _poll(gone, a.timeout) else 1
    if a.cmd == "register":
        ua = UA(a.user, f"pw-{a.user}", "udp")
        resp = ua.register(expires=a.expires)
        ua.close()
        if resp.status != 200:
            print(resp.start, file=sys.stderr)
            return 1
        print(ua.contact().strip("<>"))
        for contact in resp.get_all("contact"):
            print("bound:", contact)
        return 0
    if a.cmd == "options":
        port = a.port or int(lab_env({"udp": "LAB_SIP_UDP_PORT", "tcp": "LAB_SIP_TCP_PORT",
                                      "tls": "LAB_SIP_TLS_PORT"}[a.proto], "35060"))
        ua = UA("probe", None, a.proto, port=port)
        resp = ua.transact(ua.new_request("OPTIONS", f"sip:127.0.0.1:{port}"), 4.0)
        ua.close()
        print(resp.start)
        return 0 if resp.status == 200 else 1
    return 2


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
