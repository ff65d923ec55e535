"""DigitalOcean managed PostgreSQL: cluster, database, app user, pool and a firewall for its apps."""

from __future__ import annotations

from constructs_lib.compat import Construct, Scope, digitalocean, ref
from webkit.registry.digitalocean import PostgresConfig

_cluster = digitalocean("database_cluster")
_db = digitalocean("database_db")
_user = digitalocean("database_user")
_pool = digitalocean("database_connection_pool")
_firewall = digitalocean("database_firewall")


# TEST-NET-1 (RFC 5737): reserved for documentation, never routed, so no client is ever there.
NOBODY = {"type": "ip_addr", "value": "192.0.2.1"}


class Postgres(Construct):
    """A PostgreSQL cluster with one database, one application user and a transaction pool.

    Apps reach it through the pool (`connection_url`); `allow_from(app)` admits an app through the
    cluster's firewall. The firewall is always there: a cluster no app is allowed from admits
    nobody (DigitalOcean reads an empty rule list as open to any client with the credentials, and
    the provider wants one rule at least, so that rule names an address nobody has, `NOBODY`).
    """

    def __init__(
        self,
        scope: Scope,
        id: str,
        *,
        name: str,
        config: PostgresConfig,
        tags: list[str] | None = None,
    ):
        """`config`: the validated `postgres` config of app.json (its defaults and their docs live there)."""
        super().__init__(scope, id)
        self.cluster = _cluster.DatabaseCluster(
            self, "cluster", name=name, engine="pg", version=config.engine_version, size=config.size, region=config.region,
            node_count=config.node_count, tags=tags,
        )
        cluster_id = ref(self.cluster, "id")
        self.database = _db.DatabaseDb(self, "database", cluster_id=cluster_id, name=config.database)
        self.user = _user.DatabaseUser(self, "user", cluster_id=cluster_id, name=config.user)
        self.pool = _pool.DatabaseConnectionPool(
            self, "pool", cluster_id=cluster_id, name=config.database, db_name=ref(self.database, "name"),
            user=ref(self.user, "name"), mode="transaction", size=config.pool_size,
        )
        self._rules: list = []
        self._firewall = _firewall.DatabaseFirewall(
            self, "firewall", cluster_id=ref(self.cluster, "id"), rule=[_firewall.DatabaseFirewallRule(**NOBODY)])

    @property
    def urn(self) -> str:
        return ref(self.cluster, "urn")

    @property
    def dependables(self) -> list:
        """What an app that depends on this database waits for (not the firewall, which names the app)."""
        return [self.cluster, self.database, self.user, self.pool]

    def allow_from(self, app) -> None:
        """Admit a Droplet or an App Platform service (anything with `database_firewall_rule()`)."""
        self._rules.append(_firewall.DatabaseFirewallRule(**app.database_firewall_rule()))
        self._firewall.put_rule(self._rules)

    # The outputs table (webkit.registry.digitalocean.POSTGRES) names these attributes.
    connection_url = property(lambda self: ref(self.pool, "uri"), doc="Through the transaction pool.")
    host = property(lambda self: ref(self.pool, "host"))
    port = property(lambda self: ref(self.pool, "port"))
    database_name = property(lambda self: ref(self.database, "name"))
    user_name = property(lambda self: ref(self.user, "name"))
    password = property(lambda self: ref(self.user, "password"))

    def output(self, name: str) -> str:
        """The value of output `name` of the outputs table."""
        return getattr(self, {"database": "database_name", "user": "user_name"}.get(name, name))
