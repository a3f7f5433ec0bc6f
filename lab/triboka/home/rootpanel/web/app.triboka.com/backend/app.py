#!/usr/bin/env python3
"""Triboka API stand-in (lab): /api/health on :5003, SQLite under instance/."""
import json, logging, os, sqlite3, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BASE = os.path.dirname(os.path.abspath(__file__))
DB = os.path.join(BASE, "instance", "triboka.db")
LOGFILE = "/var/log/triboka/app.log"
FAULTS = "/etc/triboka/faults"
VERSION = open(os.path.join(BASE, "VERSION")).read().strip() if os.path.exists(os.path.join(BASE, "VERSION")) else "unknown"

log = logging.getLogger("triboka.api")
log.setLevel(logging.INFO)
fmt = logging.Formatter("%(asctime)s - %(levelname)s - %(message)s")
for h in (logging.StreamHandler(), logging.FileHandler(LOGFILE)):
    h.setFormatter(fmt); log.addHandler(h)

def faulty(name):
    try:
        return name in open(FAULTS).read().split()
    except OSError:
        return False

def db_ok():
    try:
        with sqlite3.connect(f"file:{DB}?mode=ro", uri=True, timeout=2) as c:
            return c.execute("select count(*) from contratos").fetchone()[0]
    except Exception as e:
        log.error("database check failed: %s", e)
        return None

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] == "/api/health":
            n = db_ok()
            bad = n is None or faulty("triboka-flask") or faulty("database")
            body = {"status": "unhealthy" if bad else "healthy", "service": "triboka-api",
                    "version": VERSION, "database": "error" if n is None or faulty("database") else "ok",
                    "contratos": n, "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            self.reply(503 if bad else 200, body)
        elif self.path.startswith("/api/contratos"):
            with sqlite3.connect(DB) as c:
                rows = c.execute("select id, comprador, toneladas, estado from contratos order by id").fetchall()
            self.reply(200, [dict(zip(("id", "comprador", "toneladas", "estado"), r)) for r in rows])
        else:
            self.reply(404, {"error": "not found"})
    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, f, *a):
        log.info("%s %s", self.address_string(), f % a)

def heartbeat():
    i = 0
    while True:
        i += 1
        lvl = [logging.INFO, logging.INFO, logging.WARNING, logging.INFO, logging.ERROR][i % 5]
        msg = ["sincronizacion de lotes ok", "precio bolsa actualizado", "latencia alta en blockchain RPC",
               "token JWT renovado", "fallo al notificar a exportador"][i % 5]
        log.log(lvl, "%s (ciclo %d)", msg, i)
        time.sleep(2)

if __name__ == "__main__":
    threading.Thread(target=heartbeat, daemon=True).start()
    log.info("Triboka API %s escuchando en :5003", VERSION)
    ThreadingHTTPServer(("0.0.0.0", 5003), H).serve_forever()
