#!/usr/bin/env python3
"""Screenshots of the module's screens as a person sees them, in headless Chromium.

    python3 tools/screenshots.py --url http://localhost:8069 --db customer_retention_demo \
        --login admin --password admin --out docs/screenshots \
        dashboard=customer_retention.retention_dashboard_action \
        customers=customer_retention.retention_customer_action

Each NAME=XMLID opens that window/client action (or NAME=/odoo/... a path) after logging in,
waits for the page to settle and writes NAME.png. Drives Chromium through the DevTools protocol
with websocket-client (a test requirement); nothing else to install.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import websocket

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """One headless Chromium page, driven over the DevTools websocket."""

    def __init__(self, width, height):
        binary = next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)
        if not binary:
            raise SystemExit("no Chromium found on PATH (Debian: apt-get install chromium)")
        self.profile = tempfile.mkdtemp()
        port = free_port()
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-quic", f"--window-size={width},{height}",
             f"--remote-debugging-port={port}", f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.socket = websocket.create_connection(self._page_url(port), timeout=60)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  width=width, height=height, deviceScaleFactor=1, mobile=False)  # fmt: skip

    def _page_url(self, port):
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as answer:
                    pages = [t for t in json.load(answer) if t["type"] == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit("Chromium did not open its DevTools port")

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True)  # fmt: skip
        return result.get("result", {}).get("value")

    def goto(self, url, settle=3.0):
        self.call("Page.navigate", url=url)
        deadline = time.time() + 60
        while time.time() < deadline:
            time.sleep(0.5)
            ready = self.evaluate(
                "document.readyState === 'complete'"
                " && !document.querySelector('.o_loading_indicator')"
                " && !document.querySelector('.o_blockUI')"
            )
            if ready:
                break
        time.sleep(settle)

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def login(browser, url, db, user, password):
    browser.goto(f"{url}/web/login?db={db}", settle=0.5)
    browser.evaluate(
        "(() => { const f = document.querySelector('form.oe_login_form');"
        f" f.querySelector('[name=login]').value = {json.dumps(user)};"
        f" f.querySelector('[name=password]').value = {json.dumps(password)};"
        " f.submit(); })()"
    )
    time.sleep(3)
    if "/web/login" in (browser.evaluate("location.href") or ""):
        raise SystemExit(f"login as {user} failed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait after load")
    parser.add_argument("shots", nargs="+", metavar="NAME=XMLID|PATH")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    browser = Browser(args.width, args.height)
    try:
        login(browser, args.url, args.db, args.login, args.password)
        for shot in args.shots:
            name, _, target = shot.partition("=")
            path = target if target.startswith("/") else f"/odoo/action-{target}"
            browser.goto(args.url + path, settle=args.settle)
            out = os.path.join(args.out, f"{name}.png")
            browser.screenshot(out)
            print(out)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
