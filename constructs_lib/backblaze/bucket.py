"""A Backblaze B2 bucket and an application key limited to it."""

from __future__ import annotations

from constructs_lib.compat import Construct, Fn, Scope
from webkit.registry.backblaze import B2BucketConfig

from .bindings import B2AccountInfo, B2ApplicationKey, B2Bucket

# What an app needs to read and write its own bucket, and nothing else.
KEY_CAPABILITIES = ["deleteFiles", "listAllBucketNames", "listBuckets", "listFiles", "readFiles", "writeFiles"]


class Bucket(Construct):
    def __init__(self, scope: Scope, id: str, *, name: str, config: B2BucketConfig):
        """`config`: the validated B2 (`s3`/backblaze) config of app.json."""
        super().__init__(scope, id)
        # B2 keeps every version of a file unless told otherwise: without versioning, hidden and
        # overwritten versions are deleted a day later, like an ordinary S3 bucket.
        lifecycle = None if config.versioning else [{"file_name_prefix": "", "days_from_hiding_to_deleting": 1}]
        self.bucket = B2Bucket(
            self, "bucket", bucket_name=name, bucket_type="allPublic" if config.acl == "public-read" else "allPrivate",
            lifecycle_rules=lifecycle,
        )
        self.key = B2ApplicationKey(
            self, "key", key_name=name, capabilities=KEY_CAPABILITIES, bucket_id=self.bucket.bucket_id
        )
        self.account = B2AccountInfo(self, "account")

    bucket_name = property(lambda self: self.bucket.bucket_name)
    bucket_id = property(lambda self: self.bucket.bucket_id)
    endpoint = property(lambda self: self.account.s3_api_url)  # https://s3.<region>.backblazeb2.com
    access_key_id = property(lambda self: self.key.application_key_id)
    secret_access_key = property(lambda self: self.key.application_key)

    @property
    def bucket_url(self) -> str:
        return f"{self.account.download_url}/file/{self.bucket.bucket_name}"

    @property
    def region(self) -> str:
        # Fn takes cdktf's token: a reference given as text would be quoted as a string
        return Fn.element(Fn.split(".", self.account.get_string_attribute("s3_api_url")), 1)

    def output(self, name: str) -> str:
        return getattr(self, name)
