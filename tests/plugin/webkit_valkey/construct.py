from cdktf_cdktf_provider_digitalocean.database_cluster import DatabaseCluster
from constructs import Construct


class Valkey(Construct):
    def __init__(self, scope, id, *, name: str, size: str, region: str, version: str = "8"):
        super().__init__(scope, id)
        self.cluster = DatabaseCluster(self, "cluster", name=name, engine="valkey", version=version, size=size,
                                       region=region, node_count=1)

    @property
    def urn(self) -> str:
        return self.cluster.urn

    def output(self, name: str) -> str:
        return {"connection_url": self.cluster.uri, "host": self.cluster.host}[name]


def build(scope, resource, ctx):
    return Valkey(scope, resource.name, name=ctx.name(resource.name), **resource.config)
