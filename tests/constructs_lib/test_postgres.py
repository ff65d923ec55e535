from constructs_lib.digitalocean import Droplet, Postgres
from webkit.manifest.catalog import DropletConfig, PostgresConfig


def test_cluster_database_user_and_pool(harness):
    db = Postgres(harness.stack, "db", name="site-db", config=PostgresConfig(region="nyc3", size="db-s-1vcpu-1gb"))
    assert harness.has("digitalocean_database_cluster", {
        "name": "site-db", "engine": "pg", "version": "17", "size": "db-s-1vcpu-1gb", "region": "nyc3", "node_count": 1,
    })
    assert harness.has("digitalocean_database_db", {"name": "app"})
    assert harness.has("digitalocean_database_user", {"name": "app"})
    (pool,) = harness.resources("digitalocean_database_connection_pool")
    assert pool["mode"] == "transaction" and pool["user"] == "${digitalocean_database_user.db_user.name}"
    # no app admitted: the firewall admits nobody (an empty rule list would be open to everybody)
    (firewall,) = harness.resources("digitalocean_database_firewall")
    assert firewall["rule"] == [{"type": "ip_addr", "value": "192.0.2.1"}]
    # connection_url is the pool's, so apps go through the pooler
    assert "digitalocean_database_connection_pool.db_pool.uri" in harness.resolve(db.connection_url)


def test_firewall_admits_only_the_apps_allowed(harness):
    db = Postgres(harness.stack, "db", name="site-db", config=PostgresConfig(region="nyc3", size="db-s-1vcpu-1gb"))
    vm = Droplet(harness.stack, "cms", name="site-cms", config=DropletConfig(region="nyc3", size="s-1vcpu-1gb"))
    db.allow_from(vm)
    (firewall,) = harness.resources("digitalocean_database_firewall")
    assert firewall["rule"] == [{"type": "droplet", "value": "${digitalocean_droplet.cms_droplet.id}"}]


def test_every_postgres_output_of_the_catalog_has_a_value(harness):
    from webkit.manifest.catalog import KINDS

    db = Postgres(harness.stack, "db", name="site-db", config=PostgresConfig(region="nyc3", size="db-s-1vcpu-1gb"))
    for output in KINDS[("digitalocean", "postgres")].outputs:
        assert "${" in harness.resolve(db.output(output.name)), output.name
