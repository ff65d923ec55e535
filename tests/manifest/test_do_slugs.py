"""Sizes, regions and versions DigitalOcean does not have fail `validate` with their path, line,
value and the nearest real ones; a region without the product is said; allow_unknown_slugs
lets a slug newer than the catalog through."""

from __future__ import annotations

import pytest

from tests.manifest.test_checks import add_app_platform, mutated, report_for
from webkit.manifest.source import format_path


def droplet(m):
    return m["apps"][0]["infra"]["config"]


def database(m):
    return m["resources"][0]["config"]


CASES = {
    # change, message fragment, path
    "droplet size typo": (lambda m: droplet(m).update(size="s1vcpu-2gb"),
                          "Unknown droplet size 's1vcpu-2gb': did you mean s-1vcpu-2gb?", "apps[0].infra.config.size"),
    "droplet region typo": (lambda m: droplet(m).update(region="ams4"),
                            "Unknown region 'ams4': did you mean ams3 or ams2?", "apps[0].infra.config.region"),
    "database size typo": (lambda m: database(m).update(size="db-s-1vcpu-1g"),
                           "Unknown database size 'db-s-1vcpu-1g': did you mean db-s-1vcpu-1gb?", "resources[0].config.size"),
    "database size too small for standby nodes": (
        lambda m: database(m).update(size="db-s-1vcpu-1gb", node_count=2),
        "Database size 'db-s-1vcpu-1gb' does not come with 2 nodes (with 2: db-s-1vcpu-2gb", "resources[0].config.size"),
    "database version": (lambda m: database(m).update(engine_version="12"),
                         "PostgreSQL 12 is not offered (versions: 13, 14, 15, 16, 17)", "resources[0].config.engine_version"),
    "database region without managed databases": (
        lambda m: database(m).update(region="sfo1"), "Region 'sfo1' does not offer managed databases", "resources[0].config.region"),
    "spaces region without spaces": (
        lambda m: m["resources"].append({"name": "files", "type": "s3", "provider": "digitalocean", "config": {"region": "nyc1"}}),
        "Region 'nyc1' does not offer Spaces (it is in ams3, atl1", "resources[1].config.region"),
    "app platform instance size": (
        lambda m: add_app_platform(m, image={"repository": "web"}, instance_size="apps-s-1vcpu-1g"),
        "Unknown App Platform instance size 'apps-s-1vcpu-1g': did you mean apps-s-1vcpu-1gb?", "apps[1].infra.config.instance_size"),
    "app platform region": (
        lambda m: add_app_platform(m, image={"repository": "web"}, region="amx"),
        "Unknown App Platform region 'amx': did you mean ams?", "apps[1].infra.config.region"),
}


@pytest.mark.parametrize("change, fragment, path", CASES.values(), ids=CASES.keys())
def test_each_unknown_slug_is_an_error_with_path_line_and_nearest(change, fragment, path):
    report = report_for(mutated(change))
    errors = report.errors()
    assert [(p.check, format_path(p.path)) for p in errors] == [("slugs", path)], [report.describe(p) for p in errors]
    line = report.describe(errors[0])
    assert fragment in line
    assert line.endswith(f"(app.json line {report.source.line_of(errors[0].path)})")


def test_real_slugs_of_every_product_pass():
    def every_product(m):
        droplet(m).update(size="s-2vcpu-4gb", region="ams3", reserved_ip=True, backups=True)
        database(m).update(size="db-s-2vcpu-4gb", node_count=3, region="fra1", engine_version="16")
        m["resources"].append({"name": "files", "type": "s3", "provider": "digitalocean", "config": {"region": "ams3"}})
        m["resources"].append({"name": "backup", "type": "s3", "provider": "backblaze", "config": {}})
        # App Platform takes `ams`; a datacenter slug (ams3) is sent as its region (ams) by the construct
        add_app_platform(m, image={"repository": "web"}, region="ams3", instance_size="apps-d-1vcpu-2gb", instance_count=2)

    assert report_for(mutated(every_product)).errors() == []


def test_allow_unknown_slugs_lets_a_slug_newer_than_the_catalog_through():
    def newer(m):
        droplet(m).update(size="s-2vcpu-4gb-2027", region="xyz9")
        m["allow_unknown_slugs"] = ["s-2vcpu-4gb-2027", "xyz9"]

    assert report_for(mutated(newer)).errors() == []
    still = mutated(lambda m: (droplet(m).update(size="s-2vcpu-4gb-2027"), m.update(allow_unknown_slugs=["other"])))
    assert [p.check for p in report_for(still).errors()] == ["slugs"], "only the slugs listed pass"


def test_a_config_the_schema_refuses_is_not_reported_twice():
    report = report_for(mutated(lambda m: droplet(m).update(region="mars")))
    assert [p.check for p in report.errors()] == ["config"]
