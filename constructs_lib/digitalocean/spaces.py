"""A DigitalOcean Spaces bucket and a key that can reach only that bucket."""

from __future__ import annotations

from constructs_lib.compat import Construct, Scope, digitalocean, ref
from webkit.registry.digitalocean import SpacesConfig

_bucket = digitalocean("spaces_bucket")
_cors = digitalocean("spaces_bucket_cors_configuration")
_key = digitalocean("spaces_key")


class SpacesBucket(Construct):
    def __init__(
        self,
        scope: Scope,
        id: str,
        *,
        name: str,
        config: SpacesConfig,
    ):
        """`config`: the validated Spaces (`s3`/digitalocean) config of app.json."""
        super().__init__(scope, id)
        self.bucket = _bucket.SpacesBucket(
            self, "bucket", name=name, region=config.region, acl=config.acl,
            versioning=_bucket.SpacesBucketVersioning(enabled=True) if config.versioning else None,
        )
        if config.cors:
            _cors.SpacesBucketCorsConfiguration(
                self, "cors", bucket=ref(self.bucket, "name"), region=config.region,
                cors_rule=[_cors.SpacesBucketCorsConfigurationCorsRule(**rule.model_dump()) for rule in config.cors],
            )
        self.key = _key.SpacesKey(
            self, "key", name=name,
            grant=[_key.SpacesKeyGrant(bucket=ref(self.bucket, "name"), permission="readwrite")],
        )

    @property
    def urn(self) -> str:
        return ref(self.bucket, "urn")

    @property
    def bucket_url(self) -> str:
        return f"https://{ref(self.bucket, 'bucket_domain_name')}"

    @property
    def endpoint(self) -> str:
        return f"https://{ref(self.bucket, 'endpoint')}"

    bucket_name = property(lambda self: ref(self.bucket, "name"))
    region = property(lambda self: ref(self.bucket, "region"))
    access_key_id = property(lambda self: ref(self.key, "access_key"))
    secret_access_key = property(lambda self: ref(self.key, "secret_key"))

    def output(self, name: str) -> str:
        return getattr(self, name)
