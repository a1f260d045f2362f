#!/usr/bin/env python3
"""Figures of the real desktop app (run by tests/e2e/measure inside a private X display and
session bus, with the lab running): PSS of the whole app process tree with the window open and
after it is closed to the tray, the time from a launch to the window showing again (the window
process starts anew each time), and the latency from a NOTIFY arriving to the tray icon being
updated and to the desktop notification being sent.

Prints a table; exits non-zero only when the app cannot be measured at all. Not a test: the
figures go into notes, never into assertions.
"""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import json
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "tests/lab"
DEADLINE = 30.0


def app_binary() -> Path:
    if os.environ.get("VOICELAMP_APP"):
        return Path(os.environ["VOICELAMP_APP"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / os.environ.get("VOICELAMP_PROFILE", "debug") / "voicelamp"


def wait_for(what, check, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise SystemExit(f"measure: timed out waiting for {what}")


def proc_stats():
    """(pid, command name, the fields after the name) of every process in /proc/<pid>/stat."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        yield int(entry.name), name, stat.rsplit(")", 1)[1].split()


def children(pid: int) -> list:
    """pid and all its descendants."""
    parents = {}
    for child, _, fields in proc_stats():
        parents.setdefault(int(fields[1]), []).append(child)
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def pss_kib(pids) -> dict:
    out = {}
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        match = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
        if match:
            out[f"{name}[{pid}]"] = int(match.group(1))
    return out


def displayed() -> int:
    """Notifications the notification daemon shows now."""
    out = subprocess.run(["dunstctl", "count", "displayed"], capture_output=True, text=True)
    return int(out.stdout.strip() or 0)


def publish(user, new, old=0):
    subprocess.run(
        [str(LAB / "publish-mwi"), "--user", user, "--new", str(new), "--old", str(old)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def probe(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def notify_times(log: Path, summary: str) -> list:
    """Unix times of Notify calls whose summary is `summary`, from dbus-monitor output."""
    times, current = [], None
    strings = []
    for line in log.read_text(errors="replace").splitlines():
        if "member=Notify" in line:
            if current is not None and len(strings) >= 3 and strings[2] == summary:
                times.append(current)
            current = float(re.search(r"time=([\d.]+)", line).group(1))
            strings = []
        elif current is not None:
            m = re.match(r'\s+string "(.*)"$', line)
            if m:
                strings.append(m.group(1))
    if current is not None and len(strings) >= 3 and strings[2] == summary:
        times.append(current)
    return times


def notify_received_times(log: Path, marker: str) -> list:
    """Times (Unix) at which the app logged receiving a NOTIFY whose text contains `marker`."""
    out = []
    lines = log.read_text(errors="replace").splitlines()
    for i, line in enumerate(lines):
        if "sip recv" not in line:
            continue
        block = "\n".join(lines[i + 1 : i + 30])
        first = lines[i + 1] if i + 1 < len(lines) else ""
        if first.startswith("NOTIFY ") and marker in block:
            stamp = line.split()[0]
            out.append(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())
    return out


def main():
    app = app_binary()
    if not app.exists():
        raise SystemExit(f"measure: no app binary at {app}; build it first")
    work = Path(tempfile.mkdtemp(prefix="voicelamp-measure."))
    host = os.environ.get("LAB_SIP_HOST", "127.0.0.1")
    port = os.environ.get("LAB_SIP_UDP_PORT", "35060")
    config = work / "config.toml"
    config.write_text(
        f"""[[accounts]]
id = "desk"
display_name = "Front desk"
aor = "sip:1018@{host}"
registrar = "sip:{host}:{port}"
password_env = "VOICELAMP_MEASURE_PW_1018"

[[accounts.mailboxes]]
uri = "sip:sales@{host}"
display_name = "Sales"

[[accounts]]
id = "back"
display_name = "Back office"
aor = "sip:1019@{host}"
registrar = "sip:{host}:{port}"
password_env = "VOICELAMP_MEASURE_PW_1019"

[notifications]
coalesce_seconds = 1
urgent_reminder_minutes = 0
"""
    )
    for user in ("1018", "1019", "sales"):
        publish(user, 0)
    tray = work / "tray.json"
    notifications = work / "notify.log"
    applog = work / "app.log"
    helpers = [
        subprocess.Popen(["openbox"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen(["dunst"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen(
            ["stdbuf", "-oL", "dbus-monitor", "--session",
             "interface='org.freedesktop.Notifications',member='Notify'"],
            stdout=notifications.open("w"), stderr=subprocess.DEVNULL,
        ),
    ]
    wait_for("the window manager", lambda: subprocess.run(
        ["wmctrl", "-m"], capture_output=True).returncode == 0)
    env = dict(os.environ)
    env.update({
        "VOICELAMP_MEASURE_PW_1018": "pw-1018",
        "VOICELAMP_MEASURE_PW_1019": "pw-1019",
        "VOICELAMP_TRAY_PROBE": str(tray),
        "RUST_LOG": "warn,voicelamp_sip=debug,voicelamp_desktop=debug",
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_DATA_HOME": str(work / "data"),
        "XDG_CACHE_HOME": str(work / "cache"),
    })
    proc = subprocess.Popen([str(app), "--config", str(config)], env=env,
                            stdout=subprocess.DEVNULL, stderr=applog.open("w"))
    try:
        wait_for("every lamp known", lambda: (probe(tray) or {}).get("not_known") is False)
        wait_for("the window", lambda: "Voicelamp" in subprocess.run(
            ["wmctrl", "-l"], capture_output=True, text=True).stdout)
        wait_for("the web process", lambda: any(
            "WebKitWebProces" in k for k in pss_kib(children(proc.pid))))
        time.sleep(2)  # let the page settle before reading memory (a figure, not a test)
        open_pss = pss_kib(children(proc.pid))
        subprocess.run(["wmctrl", "-c", "Voicelamp"], check=True)
        wait_for("the window to close", lambda: "Voicelamp" not in subprocess.run(
            ["wmctrl", "-l"], capture_output=True, text=True).stdout)
        # WebKit may keep its processes for a while after the last view is gone.
        end = time.monotonic() + 15
        while time.monotonic() < end and any(
                "WebKit" in k for k in pss_kib(children(proc.pid))):
            time.sleep(0.1)
        time.sleep(2)
        tray_pss = pss_kib(children(proc.pid))

        # Opening the window again (a second launch hands over; the window process starts).
        reopen = []
        for _ in range(3):
            started = time.monotonic()
            subprocess.run([str(app)], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for("the window again", lambda: "Voicelamp" in subprocess.run(
                ["wmctrl", "-l"], capture_output=True, text=True).stdout, 60)
            reopen.append((time.monotonic() - started) * 1000)
            subprocess.run(["wmctrl", "-c", "Voicelamp"], check=True)
            wait_for("the window to close", lambda: "Voicelamp" not in subprocess.run(
                ["wmctrl", "-l"], capture_output=True, text=True).stdout)
            wait_for("the window process to end", lambda: not any(
                "voicelamp-windo" in k for k in pss_kib(children(proc.pid))))

        # A notification clicked while the window is closed: the window process starts and
        # shows the Lines view (a count-only notification has no message to play).
        cold_click = []
        for k in range(1, 4):
            before = len(notify_times(notifications, "Front desk"))
            publish("1018", 100 + k)
            wait_for("the notification", lambda: len(
                notify_times(notifications, "Front desk")) > before)
            wait_for("the notification on screen", lambda: displayed() > 0)
            started = time.monotonic()
            subprocess.run(["dunstctl", "action", "0"], check=True)
            wait_for("the window after the click", lambda: "Voicelamp" in subprocess.run(
                ["wmctrl", "-l"], capture_output=True, text=True).stdout)
            cold_click.append((time.monotonic() - started) * 1000)
            subprocess.run(["wmctrl", "-c", "Voicelamp"], check=True)
            wait_for("the window process to end", lambda: not any(
                "voicelamp-windo" in k for k in pss_kib(children(proc.pid))))
            publish("1018", 0)
            wait_for("the notification to be withdrawn", lambda: displayed() == 0)
            time.sleep(1.2)  # past the coalescing time (a figure, not a test)

        tray_lat, notify_lat = [], []
        for k in range(1, 11):
            publish("1018", k)
            wait_for(f"the tray to show {k + 0}", lambda: (probe(tray) or {}).get("new") == k)
            shown = probe(tray)["at_ms"] / 1000.0
            received = wait_for("the NOTIFY in the log", lambda: notify_received_times(
                applog, f"Voice-Message: {k}/0"))[-1]
            sent = wait_for("the notification", lambda: [
                t for t in notify_times(notifications, "Front desk") if t >= received])[0]
            tray_lat.append((shown - received) * 1000)
            notify_lat.append((sent - received) * 1000)
            time.sleep(1.2)  # past the 1 s coalescing time, so each rise notifies at once
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        for h in helpers:
            h.terminate()
        if not os.environ.get("VOICELAMP_MEASURE_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")

    def total(d):
        return sum(d.values()) / 1024

    print("Voicelamp app figures (" + str(app) + ")")
    print(f"  PSS, window open : {total(open_pss):6.1f} MiB  " + ", ".join(
        f"{k} {v / 1024:.1f}" for k, v in sorted(open_pss.items())))
    print(f"  PSS, tray only   : {total(tray_pss):6.1f} MiB  " + ", ".join(
        f"{k} {v / 1024:.1f}" for k, v in sorted(tray_pss.items())))
    for name, values in (("NOTIFY -> tray icon", tray_lat), ("NOTIFY -> notification", notify_lat),
                         ("launch -> window shown", reopen),
                         ("closed: click -> window", cold_click)):
        values = sorted(values)
        print(f"  {name:24}: p50 {statistics.median(values):6.1f} ms  max {values[-1]:6.1f} ms"
              f"  (n={len(values)})")


if __name__ == "__main__":
    sys.exit(main())
