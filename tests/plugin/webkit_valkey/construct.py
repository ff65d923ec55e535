from cdktf_cdktf_provider_digitalocean.database_cluster import DatabaseCluster
from constructs import Construct

from webkit_valkey import ValkeyConfig


class Valkey(Construct):
    def __init__(self, scope, id, *, name: str, config: ValkeyConfig):
        super().__init__(scope, id)
        self.cluster = DatabaseCluster(self, "cluster", name=name, engine="valkey", version=config.version, size=config.size,
                                       region=config.region, node_count=1)

    @property
    def urn(self) -> str:
        return self.cluster.urn

    def output(self, name: str) -> str:
        return {"connection_url": self.cluster.uri, "host": self.cluster.host}[name]


def build(scope, resource, ctx):
    return Valkey(scope, resource.name, name=ctx.name(resource.name), config=ValkeyConfig.model_validate(resource.config))
