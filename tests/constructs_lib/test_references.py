"""`compat.ref`: references written in Python read exactly as cdktf's tokens resolve."""

import constructs

from constructs_lib.compat import NamedVariable, Token, address, digitalocean, ref
from constructs_lib.digitalocean import Droplet, Postgres
from webkit.manifest.catalog import DropletConfig, PostgresConfig

TOKEN_MARK = "${TfToken["  # how cdktf encodes a string token


def test_references_written_in_python_resolve_like_cdktf_tokens(harness):
    db = Postgres(harness.stack, "db", name="site-db", config=PostgresConfig(region="nyc3", size="db-s-1vcpu-1gb"))
    vm = Droplet(harness.stack, "cms", name="site-cms", config=DropletConfig(region="nyc3", size="s", reserved_ip=True))
    secret = NamedVariable(harness.stack, "api_key", type="string", sensitive=True)
    key = digitalocean("data_digitalocean_ssh_key").DataDigitaloceanSshKey(harness.stack, "laptop", name="ops laptop")
    pairs = [
        (ref(db.cluster, "id"), db.cluster.id),
        (ref(db.pool, "uri"), db.pool.uri),
        (ref(db.pool, "port"), Token.as_string(db.pool.port)),
        (ref(vm.droplet, "ipv4_address"), vm.droplet.ipv4_address),
        (ref(vm.reserved_ip, "ip_address"), vm.reserved_ip.ip_address),
        (ref(secret), secret.string_value),
        (ref(key, "id"), key.id),
    ]
    for written, token in pairs:
        assert TOKEN_MARK not in written
        assert harness.resolve(written) == harness.resolve(token)
    assert ref(db.pool, "uri") == "${digitalocean_database_connection_pool.db_pool.uri}"


def test_elements_not_named_from_python_give_cdktf_tokens(harness):
    plain = constructs.Construct(harness.stack, "plain")  # not a compat.Construct: no path known in Python
    cluster = digitalocean("database_cluster").DatabaseCluster(
        plain, "cluster", name="x", engine="pg", version="17", size="s", region="nyc3", node_count=1
    )
    reference = ref(cluster, "urn")
    assert TOKEN_MARK in reference
    assert harness.resolve(reference) == harness.resolve(cluster.urn)


def test_addresses_are_the_ones_cdktf_allocates(harness):
    db = Postgres(harness.stack, "db", name="site-db", config=PostgresConfig(region="nyc3", size="db-s-1vcpu-1gb"))
    plain = constructs.Construct(harness.stack, "plain")
    cluster = digitalocean("database_cluster").DatabaseCluster(
        plain, "cluster", name="x", engine="pg", version="17", size="s", region="nyc3", node_count=1
    )
    assert address(db.pool) == "digitalocean_database_connection_pool.db_pool"
    for element in (db.pool, cluster):
        assert address(element) == f"{element.terraform_resource_type}.{harness.stack.get_logical_id(element)}"
