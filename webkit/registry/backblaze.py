"""Backblaze B2 (Backblaze/b2 0.10.0): its provider, its bucket kind and the Terraform types it emits
with what the provider does to them (read from the provider's source)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .digitalocean import BUCKET_OUTPUTS
from .model import Config, Credential, Kind, NameRule, Output, Provider, TerraformType


class B2BucketConfig(Config):
    acl: Literal["private", "public-read"] = "private"
    versioning: bool = Field(False, description="Keep every version of a file (B2 keeps only the newest otherwise).")


PROVIDER = Provider(
    "backblaze", "b2", "Backblaze/b2", "0.10.0", "constructs_lib.backblaze:B2Provider",
    credentials=(Credential("B2_APPLICATION_KEY_ID", "B2_ACCESS_KEY"), Credential("B2_APPLICATION_KEY", "B2_SECRET_KEY")),
)

BUCKET = Kind(
    "backblaze", "s3", "resource", B2BucketConfig,
    NameRule(6, 50, r"(?!b2-)[a-z0-9][a-z0-9-]*", "B2 bucket"), "stacks.factories:b2_bucket",
    resource_type="b2_bucket", name_attribute="bucket_name",
    outputs=BUCKET_OUTPUTS + (Output("bucket_id"),),
    default_outputs=("bucket_name", "bucket_url", "endpoint", "region", "bucket_id"),
    types=(
        TerraformType("b2_bucket", force_new=("bucket_name",), stateful=True, replaced="a new, empty bucket: its files are lost"),
        TerraformType("b2_application_key", force_new=("key_name", "capabilities", "bucket_id", "name_prefix"),
                      sensitive=("application_key",)),
        TerraformType("data.b2_account_info", sensitive=("account_auth_token",)),
    ),
)

KINDS = (BUCKET,)
