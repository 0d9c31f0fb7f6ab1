#!/usr/bin/env python3
"""Resident memory of a release imserver under hostile load.

Starts `target/release/imserver` with default settings on a throwaway database and reports its
resident memory (VmRSS, and the peak seen while each phase runs):

  1. idle, right after start;
  2. after registering USERS users in batches of 60 (4 batches at a time);
  3. during and after 400 concurrent `password` grants with a wrong password;
  4. while 1000 open keep-alive connections read users for 10 s.

A batch answered 429 is retried after its Retry-After, as a client should.

Usage (from the project root, PostgreSQL on 127.0.0.1:5432):
    cargo build --release -p im-server
    python3 crates/im-server/bench/memory.py [USERS]
"""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

PORT = 18088
DB = "imserver_membench"
BASE_URL = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
USERS = int(sys.argv[1]) if len(sys.argv) > 1 else 1200
BIN = "target/release/imserver"


def env():
    e = dict(os.environ)
    e["IMSERVER__DATABASE__URL"] = f"{BASE_URL}/{DB}"
    e["IMSERVER__SERVER__PORT"] = str(PORT)
    e["IMSERVER__SERVER__BIND"] = "127.0.0.1"
    e["IMSERVER__SERVER__DEMO_APP"] = "false"
    e["RUST_LOG"] = "warn"
    return e


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Peak:
    """Samples the server's RSS every 50 ms while a phase runs."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0.0, False

    def __enter__(self):
        def run():
            while not self.stop:
                self.peak = max(self.peak, rss_mb(self.pid))
                time.sleep(0.05)

        self.t = threading.Thread(target=run, daemon=True)
        self.t.start()
        return self

    def __exit__(self, *a):
        self.stop = True
        self.t.join()


def request(method, path, body=None, token=None, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    if conn is None:
        c.close()
    return r.status, data


def main():
    subprocess.run(["psql", f"{BASE_URL}/postgres", "-qc", f"drop database if exists {DB}"], check=True)
    out = subprocess.run(
        [BIN, "app", "create", "--org", "bench", "--app", "mem", "--json"],
        env=env(), check=True, capture_output=True, text=True,
    ).stdout
    creds = json.loads(out.strip().splitlines()[-1])
    server = subprocess.Popen([BIN, "serve"], env=env())
    try:
        for _ in range(100):
            try:
                if request("GET", "/ready")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        pid = server.pid
        time.sleep(1)
        print(f"idle: {rss_mb(pid):.0f} MB")

        s, body = request("POST", "/bench/mem/token", {
            "grant_type": "client_credentials",
            "client_id": creds["client_id"], "client_secret": creds["client_secret"]})
        token = json.loads(body)["access_token"]

        def batch(i):
            # As a well-behaved client does: a 429 is retried after its Retry-After.
            users = [{"username": f"u{i}_{j}", "password": f"pw{j}"} for j in range(60)]
            shed = 0
            while True:
                s = request("POST", "/bench/mem/users", users, token)[0]
                if s != 429:
                    return s, shed
                shed += 1
                time.sleep(1)

        t = time.time()
        with Peak(pid) as p, ThreadPoolExecutor(4) as ex:
            done = list(ex.map(batch, range(USERS // 60)))
        codes = sorted({s for s, _ in done})
        retried = sum(n for _, n in done)
        print(f"after {USERS} registrations in batches of 60: {rss_mb(pid):.0f} MB "
              f"(peak {p.peak:.0f} MB, {time.time() - t:.1f} s, statuses {codes}, "
              f"{retried} batches retried after 429)")

        def grant(i):
            return request("POST", "/bench/mem/token", {
                "grant_type": "password", "username": f"u0_{i % 60}", "password": "wrong"})[0]

        t = time.time()
        with Peak(pid) as p, ThreadPoolExecutor(400) as ex:
            codes = list(ex.map(grant, range(400)))
        counts = {c: codes.count(c) for c in sorted(set(codes))}
        print(f"after 400 concurrent wrong-password grants: {rss_mb(pid):.0f} MB "
              f"(peak {p.peak:.0f} MB, {time.time() - t:.1f} s, statuses {counts})")

        conns = [None] * 1000
        stop = time.time() + 10
        results = {}
        lock = threading.Lock()

        def reader(i):
            # Each connection sends its first request as soon as it is open: a connection that
            # sends nothing for 5 s is closed with 408 by design.
            conns[i] = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
            conns[i].connect()
            n = 0
            while time.time() < stop:
                try:
                    s, _ = request("GET", f"/bench/mem/users/u0_{i % 60}", token=token, conn=conns[i])
                except (http.client.HTTPException, OSError):
                    # A keep-alive connection left idle past the server's keep-alive (a starved
                    # client thread) is closed by the server; reconnect, as clients do.
                    s = "reconnect"
                    conns[i].close()
                    conns[i] = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
                with lock:
                    results[s] = results.get(s, 0) + 1
                n += 1
            return n

        with Peak(pid) as p, ThreadPoolExecutor(1000) as ex:
            total = sum(ex.map(reader, range(1000)))
        print(f"1000 connections reading for 10 s: {rss_mb(pid):.0f} MB (peak {p.peak:.0f} MB, "
              f"{total} reads, statuses {results})")
        for c in conns:
            if c:
                c.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
