"""A local stand-in for GitHub's REST API: issue comments and issues, paginated like GitHub."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeGitHub:
    def __init__(self, per_page: int = 100):
        self.comments: dict[int, list[dict]] = {}
        self.issues: list[dict] = []
        self.requests: list[tuple[str, str]] = []
        self.per_page = per_page
        self.fail_with: int | None = None
        self.token = "test-token-123"
        self._next_id = 1000
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body=None, headers: dict | None = None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def _route(self, method: str):
                fake.requests.append((method, self.path))
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    return self._send(401, {"message": "Bad credentials"})
                if fake.fail_with:
                    return self._send(fake.fail_with, {"message": "Resource not accessible by integration"})
                path, _, query = self.path.partition("?")
                params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
                if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", path):
                    pr = int(m.group(1))
                    if method == "GET":
                        return self._page(fake.comments.get(pr, []), params, path)
                    comment = {"id": fake._id(), "body": self._body()["body"]}
                    fake.comments.setdefault(pr, []).append(comment)
                    return self._send(201, comment)
                if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", path):
                    for comments in fake.comments.values():
                        for comment in comments:
                            if comment["id"] == int(m.group(1)):
                                comment["body"] = self._body()["body"]
                                return self._send(200, comment)
                    return self._send(404, {"message": "Not Found"})
                if re.fullmatch(r"/repos/[^/]+/[^/]+/issues", path):
                    if method == "GET":
                        return self._page([i for i in fake.issues if i["state"] == "open"], params, path)
                    body = self._body()
                    issue = {"number": fake._id(), "title": body["title"], "body": body["body"], "state": "open"}
                    fake.issues.append(issue)
                    return self._send(201, issue)
                if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)", path):
                    issue = next(i for i in fake.issues if i["number"] == int(m.group(1)))
                    issue["body"] = self._body()["body"]
                    return self._send(200, issue)
                return self._send(404, {"message": "Not Found"})

            def _page(self, items, params, path):
                page = int(params.get("page", 1))
                size = min(int(params.get("per_page", 30)), fake.per_page)
                chunk = items[(page - 1) * size: page * size]
                headers = {}
                if page * size < len(items):
                    base = f"http://127.0.0.1:{fake.port}{path}"
                    extra = "&state=open" if "state" in params else ""
                    headers["Link"] = f'<{base}?per_page={size}&page={page + 1}{extra}>; rel="next"'
                return self._send(200, chunk, headers)

            def do_GET(self):
                self._route("GET")

            def do_POST(self):
                self._route("POST")

            def do_PATCH(self):
                self._route("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
