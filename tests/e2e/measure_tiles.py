#!/usr/bin/env python3
"""The receptionist's Lines view under load, in the real app and its real webview (run by
`tests/e2e/measure tiles` inside a private X display and session bus, with the lab running with
`--users 220`): 20 subscribe-only accounts watching 10 other users' mailboxes each (200 tiles), then 50 PUBLISHes per second
for 10 seconds, each a different count on a random mailbox, through the lab's Kamailio.

The window is driven through tauri-driver (WebDriver): a requestAnimationFrame sampler in the page
records every frame interval while the updates flow, and the page's tiles are read back at the end
to check that the last count of every mailbox reached its tile. Prints figures; not a test.
"""

import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/lab"))
from siplab import UA, mwi_body  # noqa: E402
from measure import app_binary, proc_stats, wait_for  # noqa: E402  (beside this file)

ACCOUNTS = 20
PER_ACCOUNT = 10
RATE = 50
SECONDS = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.session = None

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read() or b"null")["value"]

    def start(self, app: Path):
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "wry", "tauri:options": {"application": str(app)}}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def execute(self, script: str, *args):
        return self._call("POST", f"/session/{self.session}/execute/sync",
                          {"script": script, "args": list(args)})

    def stop(self):
        if self.session:
            try:
                self._call("DELETE", f"/session/{self.session}")
            except OSError:
                pass


SAMPLER = """
window.__vlEvents = [];
const callbacks = window.__TAURI_INTERNALS__ && window.__TAURI_INTERNALS__.callbacks;
if (callbacks) {
  for (const [id, fn] of [...callbacks]) {
    callbacks.set(id, (data) => {
      const start = performance.now();
      const size = data && data.payload ? JSON.stringify(data.payload).length : 0;
      fn(data);
      setTimeout(() => window.__vlEvents.push([performance.now() - start, size]), 0);
    });
  }
}
window.__vlFrames = [];
let last = performance.now();
function tick(now) {
  window.__vlFrames.push(now - last);
  last = now;
  if (window.__vlFrames.length < 200000 && !window.__vlStop) requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
return true;
"""

TILES = """
return [...document.querySelectorAll('[data-testid=line-tile]')].map(t => ({
  mailbox: (t.querySelector('[data-testid=line-subtitle]') || {title: ''}).title,
  status: (t.querySelector('[data-testid=line-status]') || {}).textContent || '',
}));
"""


def cpu_ms_by_process() -> dict:
    """CPU time (user + system, ms) of every Voicelamp and WebKit process, by name and pid."""
    tick = os.sysconf("SC_CLK_TCK")
    return {
        f"{name}[{pid}]": (int(fields[11]) + int(fields[12])) * 1000 / tick
        for pid, name, fields in proc_stats()
        if name.startswith("voicelamp") or name.startswith("WebKit")
    }


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main():
    app = app_binary()
    if not app.exists():
        raise SystemExit(f"measure tiles: no app binary at {app}; build it first")
    host = os.environ.get("LAB_SIP_HOST", "127.0.0.1")
    domain = os.environ.get("LAB_SIP_DOMAIN", host)
    port = os.environ.get("LAB_SIP_UDP_PORT", "35060")
    work = Path(tempfile.mkdtemp(prefix="voicelamp-tiles."))
    mailboxes = []
    lines = []
    env = dict(os.environ)
    for a in range(ACCOUNTS):
        user = str(1001 + a)
        env[f"VOICELAMP_TILES_PW_{user}"] = f"pw-{user}"
        lines.append(f"""[[accounts]]
id = "a{a}"
display_name = "Desk {a}"
aor = "sip:{user}@{domain}"
registrar = "sip:{host}:{port}"
register = false
monitor_own = false
password_env = "VOICELAMP_TILES_PW_{user}"
""")
        for m in range(PER_ACCOUNT):
            uri = f"sip:{1001 + ACCOUNTS + a * PER_ACCOUNT + m}@{domain}"
            mailboxes.append(uri)
            lines.append(f"""[[accounts.mailboxes]]
uri = "{uri}"
display_name = "Box {a}.{m}"
""")
    lines.append("[notifications]\ncoalesce_seconds = 5\nurgent_reminder_minutes = 0\n")
    config = work / "config.toml"
    config.write_text("\n".join(lines))
    ua = UA("voicemail", None, "udp")
    etags = {}

    def publish(uri, new):
        headers = [("event", "message-summary"), ("expires", "600"),
                   ("content-type", "application/simple-message-summary")]
        if uri in etags:
            headers.append(("sip-if-match", etags[uri]))
        req = ua.new_request("PUBLISH", uri, uri, headers=headers,
                             body=mwi_body(uri, new, 0, 0, 0),
                             from_uri=f"sip:voicemail@{domain}")
        resp = ua.request(req, 4.0, auth=False)
        if resp.status == 412 and uri in etags:
            del etags[uri]
            return publish(uri, new)
        if resp.status // 100 != 2:
            raise SystemExit(f"measure tiles: PUBLISH {uri}: {resp.status} (the lab needs "
                             f"{ACCOUNTS * (PER_ACCOUNT + 1)} users: lab start --users 220)")
        if resp.get("sip-etag"):
            etags[uri] = resp.get("sip-etag")

    for uri in mailboxes:
        publish(uri, 0)

    tray = work / "tray.json"
    env.update({
        "VOICELAMP_CONFIG": str(config),
        "VOICELAMP_TRAY_PROBE": str(tray),
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_DATA_HOME": str(work / "data"),
        "XDG_CACHE_HOME": str(work / "cache"),
        "XDG_RUNTIME_DIR": str(work / "runtime"),
    })
    (work / "runtime").mkdir(mode=0o700)
    helpers = [subprocess.Popen(["openbox"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    driver_port = free_port()
    tauri_driver = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo")) / "bin/tauri-driver"
    helpers.append(subprocess.Popen(
        [str(tauri_driver), "--port", str(driver_port), "--native-port", str(free_port())],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_for("tauri-driver", lambda: _port_open(driver_port))
    wd = WebDriver(driver_port)
    try:
        wd.start(app)
        wait_for("200 tiles", lambda: len(wd.execute(TILES)) == ACCOUNTS * PER_ACCOUNT, 60)
        wait_for("every lamp known",
                 lambda: (json.loads(tray.read_text()) if tray.exists() else {}).get(
                     "not_known") is False)
        if os.environ.get("VOICELAMP_TILES_CSS"):
            # For experiments: extra CSS in the page while measuring.
            wd.execute("const s = document.createElement('style'); s.textContent = arguments[0];"
                       " document.head.appendChild(s); return true;",
                       os.environ["VOICELAMP_TILES_CSS"])
        wd.execute(SAMPLER)
        time.sleep(2)  # an idle baseline for the sampler (a figure, not a test)
        idle = wd.execute("const f = window.__vlFrames; window.__vlFrames = []; return f;")
        cpu_before = cpu_ms_by_process()
        last = {}
        rng = random.Random(7)
        start = time.monotonic()
        sent = 0
        while sent < RATE * SECONDS:
            due = start + sent / RATE
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            uri = rng.choice(mailboxes)
            new = rng.randint(1, 99)
            publish(uri, new)
            last[uri] = new
            sent += 1
        elapsed = time.monotonic() - start
        cpu_after = cpu_ms_by_process()
        busy = wd.execute("const f = window.__vlFrames; window.__vlStop = true; return f;")
        events = wd.execute("return window.__vlEvents;")

        def settled():
            tiles = wd.execute(TILES)
            shown = {}
            for t in tiles:
                m = re.search(r"(\d+) new", t["status"])
                shown[t["mailbox"]] = int(m.group(1)) if m else 0
            wrong = [u for u, n in last.items() if shown.get(u) != n]
            return not wrong
        settle_start = time.monotonic()
        wait_for("the last count of every mailbox on its tile", settled)
        settle = time.monotonic() - settle_start
    finally:
        wd.stop()
        for h in helpers:
            h.terminate()
        subprocess.run(["pkill", "-f", f"^{re.escape(str(app))}( |$)"], check=False)

    print(f"Lines view under load ({app})")
    print(f"  tiles: {ACCOUNTS * PER_ACCOUNT}; updates: {sent} PUBLISHes in {elapsed:.1f} s "
          f"({sent / elapsed:.0f}/s) on {len(last)} mailboxes")
    for name, frames in (("idle", idle), ("under load", busy)):
        frames = frames[1:]
        if not frames:
            print(f"  frames {name}: none sampled")
            continue
        over = sum(1 for f in frames if f > 50)
        print(f"  frame interval {name:10}: p50 {statistics.median(frames):5.1f} ms  "
              f"p95 {percentile(frames, 0.95):5.1f}  p99 {percentile(frames, 0.99):5.1f}  "
              f"max {max(frames):6.1f}  >50 ms: {over}/{len(frames)}  "
              f"({len(frames) / (sum(frames) / 1000):.0f} fps)")
    if events:
        handling = [e[0] for e in events]
        print(f"  events in the page: {len(events)} ({len(events) / elapsed:.0f}/s), "
              f"{statistics.median([e[1] for e in events]) / 1024:.0f} KiB each; handling until "
              f"the next task p50 {statistics.median(handling):.1f} ms, "
              f"p95 {percentile(handling, 0.95):.1f}, max {max(handling):.1f}")
    cpu = {k: (v - cpu_before.get(k, 0)) / elapsed / 10 for k, v in cpu_after.items()}
    print("  CPU while updating (% of one core): " + ", ".join(
        f"{k} {v:.0f}%" for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]) if v >= 0.5))
    print(f"  last update on every tile after the final PUBLISH: {settle * 1000:.0f} ms "
          "(includes the WebDriver polling)")


def _port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
