import json

from constructs_lib.backblaze import B2Provider, Bucket
from constructs_lib.digitalocean import SpacesBucket
from webkit.manifest.catalog import B2BucketConfig, SpacesConfig


def test_spaces_bucket_with_a_key_for_that_bucket_only(harness):
    cors = [{"allowed_origins": ["https://site.com"], "allowed_methods": ["GET"]}]
    SpacesBucket(harness.stack, "media", name="site-media",
                 config=SpacesConfig(region="ams3", acl="public-read", versioning=True, cors=cors))
    assert harness.has("digitalocean_spaces_bucket", {"name": "site-media", "region": "ams3", "acl": "public-read",
                                                      "versioning": {"enabled": True}})
    assert harness.has("digitalocean_spaces_key", {
        "name": "site-media",
        "grant": [{"bucket": "${digitalocean_spaces_bucket.media_bucket.name}", "permission": "readwrite"}],
    })
    assert harness.has("digitalocean_spaces_bucket_cors_configuration", {"region": "ams3"})


def test_b2_bucket_key_and_provider(harness):
    B2Provider(harness.stack, "b2")
    bucket = Bucket(harness.stack, "files", name="site-files", config=B2BucketConfig(acl="public-read"))
    synth = json.loads(harness.synth())
    assert synth["terraform"]["required_providers"]["b2"] == {"source": "Backblaze/b2", "version": "~> 0.10"}
    (b2,) = synth["resource"]["b2_bucket"].values()
    assert b2["bucket_name"] == "site-files" and b2["bucket_type"] == "allPublic"
    assert b2["lifecycle_rules"] == [{"file_name_prefix": "", "days_from_hiding_to_deleting": 1}]
    (key,) = synth["resource"]["b2_application_key"].values()
    assert key["bucket_id"] == "${b2_bucket.files_bucket.bucket_id}"
    assert "writeFiles" in key["capabilities"] and "writeKeys" not in key["capabilities"]
    assert harness.resolve(bucket.output("region")) == (
        '${element(split(".", data.b2_account_info.files_account.s3_api_url), 1)}'
    )


def test_b2_versioning_keeps_versions(harness):
    B2Provider(harness.stack, "b2")
    Bucket(harness.stack, "files", name="site-files", config=B2BucketConfig(versioning=True))
    (b2,) = harness.resources("b2_bucket")
    assert b2["bucket_type"] == "allPrivate" and "lifecycle_rules" not in b2
