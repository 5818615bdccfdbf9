"""The claims benchmark's load generator: its own process, one thread, asyncio, a minimal HTTP/1.1 client.

Run by bench_claims.py (not by hand): it reads the run's plan as JSON on stdin and writes what it measured as JSON
on stdout. Standard library only (no package to install). One event loop drives every client's kept-alive
connection, so the load costs the machine a fraction of a core and none of the server's processes, and a press's
latency is the server's answer, not a wait for the client's own turn at a Python lock (as with 32 threads).

Each client is signed in as two reps (their session cookies, made by bench_claims.py). It reads the rows the
Leads tab polls (`/leads/rows/?view=queue`: lead ids and the CSRF token), presses Accept on one of the ten
newest, re-reads the rows every four presses and whenever it runs out, and times each press.
Like a browser following the Accept's redirect to the Leads tab (where the message is shown and so consumed),
the client keeps no `messages` cookie: the bench times the press, not the page after it.
"""

import asyncio
import json
import random
import re
import sys
import time
from urllib.parse import urlencode

ACCEPT_RE = re.compile(rb'action="/leads/(\d+)/accept/"')
CSRF_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
NOT_KEPT = {"messages"}


class Connection:
    """One kept-alive HTTP/1.1 connection with a cookie jar."""

    def __init__(self, port, cookies):
        self.port = port
        self.cookies = dict(cookies)
        self.reader = self.writer = None

    async def _open(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def request(self, method, path, form=None):
        for attempt in (1, 2):
            try:
                if self.writer is None:
                    await self._open()
                return await self._exchange(method, path, form)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.writer = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, method, path, form):
        body = urlencode(form).encode() if form is not None else b""
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Cookie: {cookie}", f"Content-Length: {len(body)}"]
        if form is not None:
            head.append("Content-Type: application/x-www-form-urlencoded")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length, chunked, close = None, False, False
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
            elif name == "set-cookie":
                key, _, val = value.split(";", 1)[0].partition("=")
                if key.strip() not in NOT_KEPT:
                    self.cookies[key.strip()] = val
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            text = b"".join(parts)
        elif length is not None:
            text = await self.reader.readexactly(length)
        else:
            text = await self.reader.read()
            close = True
        if close:
            self.writer.close()
            self.writer = None
        return status, text


class Rep:
    def __init__(self, port, cookies):
        self.conn = Connection(port, cookies)
        self.lead_ids = []
        self.token = ""

    async def refresh(self):
        _, page = await self.conn.request("GET", "/leads/rows/?view=queue")  # what the Leads tab polls
        self.lead_ids = [int(i) for i in ACCEPT_RE.findall(page)]
        match = CSRF_RE.search(page)
        self.token = match.group(1).decode() if match else self.token


async def client(reps, stop_at, latencies, statuses, seed):
    rng = random.Random(seed)
    for rep in reps:
        await rep.refresh()
    turn = posts = 0
    while time.monotonic() < stop_at:
        rep = reps[turn % len(reps)]
        turn += 1
        if not rep.lead_ids:
            await rep.refresh()
            if not rep.lead_ids:
                await asyncio.sleep(0.05)
                continue
        lead_id = rep.lead_ids.pop(rng.randrange(min(10, len(rep.lead_ids))))
        started = time.perf_counter()
        status, _ = await rep.conn.request("POST", f"/leads/{lead_id}/accept/", {"csrfmiddlewaretoken": rep.token})
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        posts += 1
        if posts % 4 == 0:
            await rep.refresh()  # the queue view as the rep sees it after a few presses


async def run(plan):
    latencies, statuses = [], {}
    groups = [[Rep(plan["port"], cookies) for cookies in group] for group in plan["groups"]]
    started = time.monotonic()
    stop_at = started + plan["duration"]
    await asyncio.gather(*(client(group, stop_at, latencies, statuses, i) for i, group in enumerate(groups)))
    return {"latencies": latencies, "statuses": statuses, "elapsed": time.monotonic() - started,
            "cpu_s": time.process_time()}


def main():
    plan = json.load(sys.stdin)
    json.dump(asyncio.run(run(plan)), sys.stdout)


if __name__ == "__main__":
    main()
