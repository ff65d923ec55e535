"""The catalog refresh against recorded API responses, served by a local HTTP server (no internet)."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import REPO
from webkit import do_catalog_refresh

RECORDED = REPO / "tests" / "fixtures" / "do_api"
TOKEN = "dop_v1_test-token-never-shown"


class FakeAPI(BaseHTTPRequestHandler):
    """Serves tests/fixtures/do_api/<path>.json; a list of two or more items comes in two pages, as
    the real API pages long lists. A wrong token is 401, like the API's."""

    status = 200
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urlsplit(self.path)
        type(self).seen.append(url.path)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}" or self.status != 200:
            return self._send(self.status if self.status != 200 else 401, {"id": "unauthorized", "message": "Unable to authenticate you"})
        file = RECORDED / (url.path.strip("/").replace("/", "_") + ".json")
        if not file.is_file():
            return self._send(404, {"id": "not_found"})
        body = json.loads(file.read_text())
        page = int(parse_qs(url.query).get("page", ["1"])[0])
        for key, value in list(body.items()):
            if isinstance(value, list) and len(value) > 1:
                half = (len(value) + 1) // 2
                body[key] = value[:half] if page == 1 else value[half:]
                if page == 1:
                    body["links"] = {"pages": {"next": f"http://{self.headers['Host']}{url.path}?page=2"}}
        return self._send(200, body)

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def api():
    FakeAPI.status, FakeAPI.seen = 200, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAPI)  # a free port of its own
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def catalog(tmp_path) -> Path:
    copy = tmp_path / "do_catalog.json"
    shutil.copy(REPO / "workflows" / "do_catalog.json", copy)
    return copy


def test_refresh_rebuilds_the_api_sections_and_keeps_the_page_sourced_ones(api, catalog, monkeypatch, capsys):
    before = json.loads(catalog.read_text())
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", TOKEN)
    assert do_catalog_refresh.main(["--catalog", str(catalog), "--api-url", api]) == 0
    after = json.loads(catalog.read_text())
    assert after["droplet_sizes"]["source"] == "DigitalOcean API GET /v2/sizes"
    assert after["droplet_sizes"]["items"]["s-1vcpu-1gb"] == {
        "memory_mb": 1024, "vcpus": 1, "disk_gb": 25, "price_monthly": 5.0,
        "regions": ["ams2", "ams3", "blr1", "fra1", "lon1", "nyc1", "nyc2", "nyc3", "sfo1", "sfo2", "sfo3", "sgp1", "tor1"]}
    assert after["regions"]["items"] == {"nyc3": {"name": "New York 3", "available": True}}
    sizes = after["app_platform_sizes"]["items"]
    assert len(sizes) == 14, "both pages of the list were read"
    assert sizes["apps-s-1vcpu-0.5gb"]["price_monthly"] == 5.0 and sizes["apps-d-8vcpu-32gb"]["price_monthly"] == 392.0
    assert after["app_platform_regions"]["items"]["ams"] == {"label": "Amsterdam", "data_centers": ["ams3"]}
    pg = after["database_options"]["engines"]["pg"]
    assert pg["versions"] == ["13", "14", "15", "16", "17"] and "db-s-1vcpu-1gb" not in pg["sizes_by_nodes"]["2"]
    for kept in ("spaces", "reserved_ip", "droplet_backups", "b2", "database_prices"):
        assert after[kept] == before[kept], kept
    assert after["date"] == after["droplet_sizes"]["retrieved"]
    assert {"/v2/sizes", "/v2/regions", "/v2/apps/tiers/instance_sizes", "/v2/apps/regions", "/v2/databases/options"} <= set(FakeAPI.seen)
    assert "Refreshed" in capsys.readouterr().out


def test_a_refused_token_changes_nothing_and_is_never_printed(api, catalog, monkeypatch, capsys):
    before = catalog.read_text()
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", "dop_v1_wrong-secret-token")
    assert do_catalog_refresh.main(["--catalog", str(catalog), "--api-url", api]) == 1
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "unchanged" in err and "wrong-secret-token" not in err
    assert catalog.read_text() == before
    assert not list(catalog.parent.glob("*.tmp"))


def test_no_token_is_a_usage_error(catalog, monkeypatch, capsys):
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    assert do_catalog_refresh.main(["--catalog", str(catalog)]) == 2
    assert "Set DIGITALOCEAN_TOKEN" in capsys.readouterr().err
