"""Hand-written cdktf bindings for the Backblaze/b2 provider (no prebuilt package exists).

Attribute names follow the provider's documentation for Backblaze/b2 0.10
(registry.terraform.io/providers/Backblaze/b2/latest/docs): b2_bucket, b2_application_key and the
b2_account_info data source. Only what webkit uses is bound; the escape hatch
(`add_override`) reaches the rest.
"""

from __future__ import annotations

from typing import Any

from constructs_lib.compat import (
    Scope,
    TerraformDataSource,
    TerraformProvider,
    TerraformProviderGeneratorMetadata,
    TerraformResource,
    named,
    ref,
)

PROVIDER_SOURCE = "Backblaze/b2"
PROVIDER_VERSION = "~> 0.10"
_METADATA = TerraformProviderGeneratorMetadata(provider_name="b2", provider_version_constraint=PROVIDER_VERSION)


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class B2Provider(TerraformProvider):
    """Credentials come from B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY in the environment."""

    def __init__(self, scope: Scope, id: str):
        super().__init__(
            scope, id, terraform_resource_type="b2", terraform_generator_metadata=_METADATA,
            terraform_provider_source=PROVIDER_SOURCE,
        )

    def _synthesize_attributes(self) -> dict[str, Any]:
        return {}


def _attribute(name: str) -> property:
    return property(lambda self: ref(self, name), doc=f"A reference to the `{name}` attribute.")


class _B2Resource(named(TerraformResource)):  # type: ignore[misc]  # a class made at run time
    """A b2 resource: its arguments synthesised as given (None dropped)."""

    TF_RESOURCE_TYPE = ""

    def __init__(self, scope: Scope, id: str, **arguments: Any):
        super().__init__(scope, id, terraform_resource_type=self.TF_RESOURCE_TYPE, terraform_generator_metadata=_METADATA)
        self._attributes = _without_none(arguments)

    def _synthesize_attributes(self) -> dict[str, Any]:
        return self._attributes


class B2Bucket(_B2Resource):
    """`b2_bucket(bucket_name, bucket_type, lifecycle_rules=None)`."""

    TF_RESOURCE_TYPE = "b2_bucket"
    bucket_id = _attribute("bucket_id")
    bucket_name = _attribute("bucket_name")


class B2ApplicationKey(_B2Resource):
    """`b2_application_key(key_name, capabilities, bucket_id=None)`."""

    TF_RESOURCE_TYPE = "b2_application_key"
    application_key_id = _attribute("application_key_id")
    application_key = _attribute("application_key")


class B2AccountInfo(named(TerraformDataSource)):  # type: ignore[misc]  # a class made at run time
    TF_RESOURCE_TYPE = "b2_account_info"

    def __init__(self, scope: Scope, id: str):
        super().__init__(scope, id, terraform_resource_type=self.TF_RESOURCE_TYPE, terraform_generator_metadata=_METADATA)

    def _synthesize_attributes(self) -> dict[str, Any]:
        return {}

    s3_api_url = _attribute("s3_api_url")
    download_url = _attribute("download_url")
