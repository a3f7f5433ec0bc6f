#!/usr/bin/env python3
"""Triboka agro frontend stand-in (lab): /health on :5004."""
import json, os, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = "/etc/triboka/faults"

def faulty(name):
    try:
        return name in open(FAULTS).read().split()
    except OSError:
        return False

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] == "/health":
            bad = faulty("triboka-agro-frontend")
            data = json.dumps({"status": "unhealthy" if bad else "healthy", "service": "triboka-agro-frontend",
                               "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode()
            self.send_response(503 if bad else 200)
            self.send_header("Content-Type", "application/json")
        else:
            data = b"<html><body><h1>Triboka Agro</h1></body></html>\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, f, *a):
        print("%s - %s" % (self.address_string(), f % a), flush=True)

if __name__ == "__main__":
    print("Triboka frontend escuchando en :5004", flush=True)
    ThreadingHTTPServer(("0.0.0.0", 5004), H).serve_forever()
