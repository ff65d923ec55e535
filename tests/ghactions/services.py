"""The services a workflow talks to, on 127.0.0.1 and free ports, stopped by their own handles.

- FakeGitHub: GitHub's REST API for issue comments and issues, paginated like GitHub, with tokens
  that carry a job's `permissions` (a missing scope answers 403) and an author per token.
- SlackSink: records what an incoming webhook receives.
- S3Server: moto's S3 over HTTPS, in its own process, with a CA made for the test.
- FakeDigitalOcean: the firewall-rules part of DigitalOcean's API a deploy job uses (see its doc).

Each takes `netns_pid`: listen in that process's network namespace instead of the test's (the
deploy world's "internet", see world.py); a client in the test must then connect from inside too.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests import netns

BOT = "github-actions[bot]"
READ_OR_WRITE = {"read": 1, "write": 2}


class _Server:
    """A ThreadingHTTPServer on a free loopback port; subclasses define `handle(handler, method)`."""

    def __init__(self, netns_pid: int | None = None):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def send(self, status: int, body=None, headers: dict | None = None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def do_GET(self):
                owner.handle(self, "GET")

            def do_POST(self):
                owner.handle(self, "POST")

            def do_PATCH(self):
                owner.handle(self, "PATCH")

            def do_DELETE(self):
                owner.handle(self, "DELETE")

        # the listening socket is made in the namespace; the connections it accepts stay there
        self.server = netns.call(netns_pid, ThreadingHTTPServer, ("127.0.0.1", 0), Handler) if netns_pid else \
            ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class FakeGitHub(_Server):
    def __init__(self, per_page: int = 100, netns_pid: int | None = None):
        super().__init__(netns_pid)
        self.comments: dict[int, list[dict]] = {}
        self.issues: list[dict] = []
        self.requests: list[tuple[str, str]] = []
        self.per_page = per_page
        self.fail_with: int | None = None
        self._next_id = 1000
        self.tokens: dict[str, tuple[dict, str]] = {}  # token → (permissions, author login)
        self.token = self.grant({"issues": "write", "pull-requests": "write"})
        self.branches: dict[str, str] = {}  # branch → head SHA, or a callable giving it (see `heads`)
        self.heads = lambda branch: self.branches.get(branch)
        self.merged: dict[str, int] = {}  # merge commit SHA → the pull request it merged

    def grant(self, permissions: dict, login: str = BOT) -> str:
        """A new token with these scopes, acting as `login`."""
        token = f"ghs_{secrets.token_hex(16)}"
        self.tokens[token] = (dict(permissions), login)
        return token

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _allowed(self, permissions: dict, method: str, scopes: tuple[str, ...]) -> bool:
        need = READ_OR_WRITE["read" if method == "GET" else "write"]
        return any(READ_OR_WRITE.get(permissions.get(scope, "none"), 0) >= need for scope in scopes)

    def handle(self, h, method: str):
        self.requests.append((method, h.path))
        auth = h.headers.get("Authorization", "")
        grant = self.tokens.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
        if grant is None:
            return h.send(401, {"message": "Bad credentials"})
        if self.fail_with:
            return h.send(self.fail_with, {"message": "Resource not accessible by integration"})
        permissions, login = grant
        user = {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"}
        path, _, query = h.path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        forbidden = {"message": "Resource not accessible by integration"}
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", path):
            if not self._allowed(permissions, method, ("issues", "pull-requests")):
                return h.send(403, forbidden)
            pr = int(m.group(1))
            if method == "GET":
                return self._page(h, self.comments.get(pr, []), params, path)
            comment = {"id": self._id(), "body": h.body()["body"], "user": user}
            self.comments.setdefault(pr, []).append(comment)
            return h.send(201, comment)
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", path):
            if not self._allowed(permissions, method, ("issues", "pull-requests")):
                return h.send(403, forbidden)
            for comments in self.comments.values():
                for comment in comments:
                    if comment["id"] == int(m.group(1)):
                        comment["body"] = h.body()["body"]
                        return h.send(200, comment)
            return h.send(404, {"message": "Not Found"})
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/commits/([0-9a-f]{40})/pulls", path):
            if not self._allowed(permissions, method, ("contents", "pull-requests")):
                return h.send(403, forbidden)
            number = self.merged.get(m.group(1))
            return h.send(200, [{"number": number, "merged_at": "2026-12-03T10:00:00Z", "state": "closed"}] if number else [])
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/git/ref/heads/(.+)", path):
            if not self._allowed(permissions, method, ("contents",)):
                return h.send(403, forbidden)
            sha = self.heads(m.group(1))
            return h.send(200, {"ref": f"refs/heads/{m.group(1)}", "object": {"sha": sha, "type": "commit"}}) if sha else \
                h.send(404, {"message": "Not Found"})
        if not self._allowed(permissions, method, ("issues",)):
            return h.send(403, forbidden)
        if re.fullmatch(r"/repos/[^/]+/[^/]+/issues", path):
            if method == "GET":
                state = params.get("state", "open")
                return self._page(h, [i for i in self.issues if state == "all" or i["state"] == state], params, path)
            body = h.body()
            issue = {"number": self._id(), "title": body["title"], "body": body["body"], "state": "open", "user": user}
            self.issues.append(issue)
            return h.send(201, issue)
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)", path):
            issue = next((i for i in self.issues if i["number"] == int(m.group(1))), None)
            if issue is None:
                return h.send(404, {"message": "Not Found"})
            issue.update({k: v for k, v in h.body().items() if k in ("body", "state", "title")})
            return h.send(200, issue)
        return h.send(404, {"message": "Not Found"})

    def _page(self, h, items, params, path):
        page = int(params.get("page", 1))
        size = min(int(params.get("per_page", 30)), self.per_page)
        chunk = items[(page - 1) * size: page * size]
        headers = {}
        if page * size < len(items):
            extra = f"&state={params['state']}" if "state" in params else ""
            headers["Link"] = f'<{self.url}{path}?per_page={size}&page={page + 1}{extra}>; rel="next"'
        return h.send(200, chunk, headers)


class SlackSink(_Server):
    """An incoming-webhook URL that records each JSON payload it is sent."""

    def __init__(self, netns_pid: int | None = None):
        super().__init__(netns_pid)
        self.messages: list[dict] = []
        self.webhook = f"{self.url}/services/T000/B000/webhook"

    def handle(self, h, method: str):
        if method != "POST" or h.path != "/services/T000/B000/webhook":
            return h.send(404, {"message": "no such webhook"})
        self.messages.append(h.body())
        return h.send(200, {"ok": True})


class S3Server:
    """moto's S3 API over HTTPS in a child process; `ca` is the PEM a client must trust."""

    def __init__(self, folder: Path, netns_pid: int | None = None):
        import trustme

        self.netns_pid = netns_pid
        folder.mkdir(parents=True, exist_ok=True)
        authority = trustme.CA()
        cert = authority.issue_cert("127.0.0.1", "localhost")
        self.ca = folder / "ca.pem"
        authority.cert_pem.write_to_path(str(self.ca))
        self.cert, self.key = folder / "server.pem", folder / "server.key"
        cert.cert_chain_pems[0].write_to_path(str(self.cert))
        cert.private_key_pem.write_to_path(str(self.key))
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [*(netns.prefix(self.netns_pid) if self.netns_pid else []), sys.executable, "-c", _S3_MAIN, str(self.cert), str(self.key)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.process.kill()
            raise RuntimeError("moto's S3 server did not start")
        self.port = int(line)
        self.endpoint = f"https://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait()

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, verify=str(self.ca), region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")


_S3_MAIN = """
import sys
from werkzeug.serving import make_server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=True,
                     request_handler=MotoRequestHandler, ssl_context=(sys.argv[1], sys.argv[2]))
print(server.server_address[1], flush=True)
server.serve_forever()
"""


class FakeDigitalOcean(_Server):
    """DigitalOcean's firewall-rules API, as a deploy job uses it: `GET /v2/firewalls/{id}`, and
    `POST` / `DELETE /v2/firewalls/{id}/rules` with `{"inbound_rules": [...]}` (204), behind
    `Authorization: Bearer <token>` (else 401, as DigitalOcean answers).

    `firewalls` maps an id to `{"id", "name", "droplet_ids", "inbound_rules"}` in the API's shape
    (`add_firewall` takes Terraform's); `calls` records (method, path, body, status) of every
    request; `timeline` holds (time.monotonic(), firewall id, its inbound rules) after each change;
    `fail(status, from_call=n)` makes every request from the n-th on (1-based, counting all calls)
    answer `status`. `on_change(firewall_id)` runs after each change (the world applies it to
    iptables)."""

    def __init__(self, token: str, netns_pid: int | None = None):
        super().__init__(netns_pid)
        self.token = token
        self.firewalls: dict[str, dict] = {}
        self.calls: list[tuple[str, str, dict | None, int]] = []
        self.timeline: list[tuple[float, str, list[dict]]] = []
        self.failing: tuple[int, int] | None = None  # (status, from call number)
        self.on_change = lambda firewall_id: None
        self.lock = threading.Lock()

    def fail(self, status: int, from_call: int = 1) -> None:
        self.failing = (status, from_call)

    def add_firewall(self, firewall_id: str, name: str, droplet_ids: list, terraform_rules: list[dict]) -> None:
        """A firewall as Terraform created it (`inbound_rule` blocks), unless the API knows it already."""
        with self.lock:
            if firewall_id in self.firewalls:
                return
            rules = [{"protocol": r["protocol"], "ports": r.get("port_range") or "0",
                      "sources": {"addresses": list(r.get("source_addresses") or [])}} for r in terraform_rules]
            self.firewalls[firewall_id] = {"id": firewall_id, "name": name, "status": "succeeded",
                                           "droplet_ids": [int(d) for d in droplet_ids], "inbound_rules": rules,
                                           "outbound_rules": [], "tags": []}
            self.timeline.append((time.monotonic(), firewall_id, json.loads(json.dumps(rules))))

    def rules(self, firewall_id: str) -> list[dict]:
        with self.lock:
            return json.loads(json.dumps(self.firewalls[firewall_id]["inbound_rules"]))

    def handle(self, h, method: str):
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        status, answer = self._answer(h, method, body, raw)
        self.calls.append((method, h.path, body, status))
        return h.send(status, answer)

    def _answer(self, h, method: str, body, raw: bytes):
        if h.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"id": "Unauthorized", "message": "Unable to authenticate you"}
        if self.failing and len(self.calls) + 1 >= self.failing[1]:
            status = self.failing[0]
            return status, {"id": {429: "too_many_requests", 401: "Unauthorized"}.get(status, "server_error"),
                            "message": {429: "API Rate limit exceeded.", 401: "Unable to authenticate you"}.get(
                                status, "Server was unable to give you a response.")}
        m = re.fullmatch(r"/v2/firewalls/([0-9a-f-]+)(/rules)?", h.path)
        if not m or m.group(1) not in self.firewalls:
            return 404, {"id": "not_found", "message": "The resource you were accessing could not be found."}
        firewall_id, rules_path = m.group(1), bool(m.group(2))
        if method == "GET" and not rules_path:
            with self.lock:
                return 200, {"firewall": json.loads(json.dumps(self.firewalls[firewall_id]))}
        if method not in ("POST", "DELETE") or not rules_path:
            return 405, {"id": "method_not_allowed", "message": "Method Not Allowed"}
        if not isinstance(body, dict) or not isinstance(body.get("inbound_rules"), list) or raw[:1] != b"{":
            return 400, {"id": "bad_request", "message": "invalid request body"}
        with self.lock:
            current = self.firewalls[firewall_id]["inbound_rules"]
            for rule in body["inbound_rules"]:
                key = (rule.get("protocol"), str(rule.get("ports")))
                addresses = list((rule.get("sources") or {}).get("addresses") or [])
                same = next((r for r in current if (r["protocol"], r["ports"]) == key), None)
                if method == "POST":
                    if same is None:
                        current.append({"protocol": key[0], "ports": key[1], "sources": {"addresses": addresses}})
                    else:
                        same["sources"]["addresses"] += [a for a in addresses if a not in same["sources"]["addresses"]]
                elif same is not None:
                    same["sources"]["addresses"] = [a for a in same["sources"]["addresses"] if a not in addresses]
                    if not same["sources"]["addresses"]:
                        current.remove(same)
            self.timeline.append((time.monotonic(), firewall_id, json.loads(json.dumps(current))))
        self.on_change(firewall_id)
        return 204, None
