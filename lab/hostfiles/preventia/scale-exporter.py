#!/usr/bin/env python3
"""Synthetic node-exporter series for the scale benchmark: N instances scale-001:9100 ...,
each with the node_* series opsdeck reads (CPU counters, memory, load, boot time, one
filesystem) and ten services' error ratio and p95 latency. Prometheus scrapes it with
honor_labels, so every series keeps its own `instance`. Values drift slowly with time so
that sparklines move; they are the same for every scrape within a second.

    scale-exporter.py --listen 10.77.0.13:9102 --instances 500 [--services 10]
"""

import argparse
import math
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

START = time.time() - 86400


def render(instances, services, now):
    out = []
    add = out.append
    add("# TYPE node_cpu_seconds_total counter")
    el = now - START
    for i in range(1, instances + 1):
        inst = f"scale-{i:03d}:9100"
        # Counters are integrals of a busy share of 0.2 + 0.15 sin(t/60 + i): never decreasing.
        busy_s = 0.2 * el - 9 * math.cos(now / 60 + i)
        idle_s = el - busy_s
        for cpu in range(2):
            user, system = busy_s * 0.7, busy_s * 0.3
            idle, iowait = idle_s * 0.95, idle_s * 0.05
            for mode, v in (("user", user), ("system", system), ("idle", idle), ("iowait", iowait)):
                add(f'node_cpu_seconds_total{{instance="{inst}",cpu="{cpu}",mode="{mode}"}} {v:.3f}')
    for name, f in (
        ("node_memory_MemTotal_bytes", lambda i: 4 * 2**30),
        ("node_memory_MemAvailable_bytes", lambda i: int((2.5 + math.sin(now / 90 + i)) * 2**30)),
        ("node_memory_SwapTotal_bytes", lambda i: 2**30),
        ("node_memory_SwapFree_bytes", lambda i: 2**30 - (i % 7) * 2**20),
        ("node_load1", lambda i: round(0.5 + 0.4 * math.sin(now / 30 + i), 2)),
        ("node_load5", lambda i: round(0.5 + 0.2 * math.sin(now / 120 + i), 2)),
        ("node_load15", lambda i: 0.5),
        ("node_boot_time_seconds", lambda i: int(START) - i * 60),
        ("node_time_seconds", lambda i: round(now, 3)),
    ):
        add(f"# TYPE {name} gauge")
        for i in range(1, instances + 1):
            add(f'{name}{{instance="scale-{i:03d}:9100"}} {f(i)}')
    for name in ("node_filesystem_size_bytes", "node_filesystem_free_bytes"):
        add(f"# TYPE {name} gauge")
        for i in range(1, instances + 1):
            v = 20 * 2**30 if name.endswith("size_bytes") else (8 + i % 10) * 2**30
            add(f'{name}{{instance="scale-{i:03d}:9100",device="/dev/vda1",mountpoint="/",fstype="ext4"}} {v}')
    for name, f in (
        ("synthetic_error_ratio", lambda i, s: max(0.0, 0.004 + 0.004 * math.sin(now / 45 + i + s))),
        ("synthetic_latency_p95_seconds", lambda i, s: 0.12 + 0.05 * math.sin(now / 75 + i * s)),
    ):
        add(f"# TYPE {name} gauge")
        for i in range(1, instances + 1):
            for s in range(1, services + 1):
                add(f'{name}{{instance="scale-{i:03d}:9100",service="svc-{s:02d}"}} {f(i, s):.5f}')
    return ("\n".join(out) + "\n").encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:9102")
    ap.add_argument("--instances", type=int, default=500)
    ap.add_argument("--services", type=int, default=10)
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    cache = {"at": -1, "body": b""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] != "/metrics":
                self.send_response(404)
                self.end_headers()
                return
            now = int(time.time())
            if cache["at"] != now:
                cache["body"] = render(a.instances, a.services, float(now))
                cache["at"] = now
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(cache["body"])))
            self.end_headers()
            self.wfile.write(cache["body"])

        def log_message(self, *args):
            pass

    ThreadingHTTPServer((host, int(port)), Handler).serve_forever()


if __name__ == "__main__":
    main()
