"""Hand-written cdktf bindings for the Backblaze/b2 provider (no prebuilt package exists).

Attribute names follow the provider's documentation for Backblaze/b2 0.10
(registry.terraform.io/providers/Backblaze/b2/latest/docs): b2_bucket, b2_application_key and the
b2_account_info data source. Only what webkit uses is bound; the escape hatch
(`add_override`) reaches the rest.
"""

from __future__ import annotations

from typing import Any

from constructs_lib.compat import Construct, TerraformDataSource, TerraformProvider, TerraformResource
from cdktf import TerraformProviderGeneratorMetadata

PROVIDER_SOURCE = "Backblaze/b2"
PROVIDER_VERSION = "~> 0.10"
_METADATA = TerraformProviderGeneratorMetadata(provider_name="b2", provider_version_constraint=PROVIDER_VERSION)


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class B2Provider(TerraformProvider):
    """Credentials come from B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY in the environment."""

    def __init__(self, scope: Construct, id: str):
        super().__init__(
            scope, id, terraform_resource_type="b2", terraform_generator_metadata=_METADATA,
            terraform_provider_source=PROVIDER_SOURCE,
        )

    def _synthesize_attributes(self) -> dict[str, Any]:
        return {}


class B2Bucket(TerraformResource):
    def __init__(self, scope: Construct, id: str, *, bucket_name: str, bucket_type: str, lifecycle_rules: list[dict] | None = None):
        super().__init__(scope, id, terraform_resource_type="b2_bucket", terraform_generator_metadata=_METADATA)
        self._attributes = _without_none(
            {"bucket_name": bucket_name, "bucket_type": bucket_type, "lifecycle_rules": lifecycle_rules}
        )

    def _synthesize_attributes(self) -> dict[str, Any]:
        return self._attributes

    @property
    def bucket_id(self) -> str:
        return self.get_string_attribute("bucket_id")

    @property
    def bucket_name(self) -> str:
        return self.get_string_attribute("bucket_name")


class B2ApplicationKey(TerraformResource):
    def __init__(self, scope: Construct, id: str, *, key_name: str, capabilities: list[str], bucket_id: str | None = None):
        super().__init__(scope, id, terraform_resource_type="b2_application_key", terraform_generator_metadata=_METADATA)
        self._attributes = _without_none({"key_name": key_name, "capabilities": capabilities, "bucket_id": bucket_id})

    def _synthesize_attributes(self) -> dict[str, Any]:
        return self._attributes

    @property
    def application_key_id(self) -> str:
        return self.get_string_attribute("application_key_id")

    @property
    def application_key(self) -> str:
        return self.get_string_attribute("application_key")


class B2AccountInfo(TerraformDataSource):
    def __init__(self, scope: Construct, id: str):
        super().__init__(scope, id, terraform_resource_type="b2_account_info", terraform_generator_metadata=_METADATA)

    def _synthesize_attributes(self) -> dict[str, Any]:
        return {}

    @property
    def s3_api_url(self) -> str:
        return self.get_string_attribute("s3_api_url")

    @property
    def download_url(self) -> str:
        return self.get_string_attribute("download_url")
