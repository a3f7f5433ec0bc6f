#!/usr/bin/env python3
"""The ALB health URL of seed 003 (https://api.conductoresdelmundo.com/health), for the lab.

ecs_health.py ADDR PORT ENDPOINT — serves http://ADDR:PORT/health. moto runs no containers, so
this stands in for the backend tasks behind the load balancer: on every request it asks moto
which task definition the service conductores-backend (cluster conductores-cluster) runs now and
answers from that revision's image tag:
  200 {"status": "healthy", "task_definition": "conductores-backend:43", "version": "v1.5.0", ...}
  503 {"status": "degraded", ...}   when the image tag contains "broken" (revision 44)
  503 {"status": "unhealthy", "error": ...}   when moto does not answer or the service is missing
"""
import http.server
import json
import sys
import time

import boto3

addr, port, endpoint = sys.argv[1], int(sys.argv[2]), sys.argv[3]
CLUSTER, SERVICE = "conductores-cluster", "conductores-backend"
ecs = boto3.client("ecs", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="opsdeck-lab", aws_secret_access_key="opsdeck-lab")


def health():
    try:
        svcs = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
        svc = next(s for s in svcs if s["status"] == "ACTIVE")
        # moto keeps the string update-service was given ("family:rev" or an ARN)
        td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    except StopIteration:
        return 503, {"status": "unhealthy", "error": f"service {SERVICE} not found in {CLUSTER}"}
    except Exception as e:  # moto down, bad revision, ...
        return 503, {"status": "unhealthy", "error": str(e)}
    image = td["containerDefinitions"][0]["image"]
    version = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else "latest"
    broken = "broken" in version
    body = {
        "status": "degraded" if broken else "healthy",
        "service": "conductores-backend",
        "task_definition": f"{td['family']}:{td['revision']}",
        "image": image,
        "version": version,
        "desired_count": svc["desiredCount"],
        "running_count": svc["runningCount"],
        "database": "error" if broken else "ok",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return (503 if broken else 200), body


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] != "/health":
            self.send_error(404)
            return
        code, body = health()
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


http.server.ThreadingHTTPServer((addr, port), Health).serve_forever()
