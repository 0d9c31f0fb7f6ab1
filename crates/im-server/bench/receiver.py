"""A callback receiver for the benchmarks: answers 200 (or 503 while the file DOWN_FILE exists),
and appends each delivered event's lag (receipt time minus the event's `timestamp`, in ms) and
its callId to LOG.

    python3 receiver.py PORT LOG DOWN_FILE
"""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, log_path, down_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
log = open(log_path, "a", buffering=1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if os.path.exists(down_file):
            status = 503
        else:
            status = 200
            ev = json.loads(body)
            log.write(f"{time.time() * 1000 - ev['timestamp']:.1f} {ev['callId']}\n")
        # One write for the whole answer: headers and body in two small writes would meet
        # Nagle's algorithm and the client's delayed ACK (about 40 ms a delivery).
        reason = b"OK" if status == 200 else b"Service Unavailable"
        self.wfile.write(b"HTTP/1.1 %d %s\r\nContent-Length: 2\r\n\r\nok" % (status, reason))

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
