"""The zone's construct: its props are the validated DomainConfig; it offers `urn` and `output(name)`."""

from cdktf_cdktf_provider_digitalocean.domain import Domain
from constructs import Construct

from stacks.context import StackContext
from stacks.contracts import ResourceFactory
from webkit.spec import ResourceSpec
from webkit_dns import DomainConfig


class Zone(Construct):
    def __init__(self, scope: Construct, id: str, *, config: DomainConfig):
        super().__init__(scope, id)
        self.domain = Domain(self, "domain", name=config.domain, ip_address=config.ip_address)

    @property
    def urn(self) -> str:
        return self.domain.urn

    def output(self, name: str) -> str:
        return {"zone": self.domain.name, "urn": self.domain.urn}[name]


def build(scope: Construct, resource: ResourceSpec, ctx: StackContext) -> Zone:
    # ctx.config: the resource's config, validated once by webkit, as this kind's model
    return Zone(scope, resource.name, config=ctx.config(resource, DomainConfig))


_checked: ResourceFactory = build  # mypy checks the factory and its construct against webkit's contract
