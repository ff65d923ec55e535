"""The state backend's slips: a bucket nobody here owns, a region without its endpoint, an endpoint
in another region. Each with the message a user reads."""

from __future__ import annotations

import json

from tests.manifest.test_checks import mutated, report_for
from webkit import __version__
from webkit.spec import to_spec

FIX = ("a name only one B2 account in the world can own (bucket names are global), and it is not yours. Create a private "
       "bucket in your B2 account and set \"state\": {\"bucket\": \"my-website-terraform-state\", \"region\": \"<its region, "
       "such as us-west-004>\"}")


def described(manifest: dict, warnings: bool = False) -> list[str]:
    report = report_for(json.dumps(manifest, indent=2))
    return [report.describe(p) for p in (report.warnings() if warnings else report.errors())]


def test_no_state_block_warns_that_the_default_bucket_is_not_yours():
    lines = described(mutated(lambda m: m.pop("state")), warnings=True)
    assert ("No state block: Terraform state would go to the default bucket 'webkit-terraform-state', " + FIX
            + ": (top level) (app.json line 1)") in lines
    manifest = mutated(lambda m: m.update(state={"region": "eu-central-003"}))
    line = 1 + next(i for i, t in enumerate(json.dumps(manifest, indent=2).splitlines()) if '"state"' in t)
    assert ("No state.bucket: Terraform state would go to the default bucket 'webkit-terraform-state', " + FIX
            + f": state.bucket (app.json line {line})") in described(manifest, warnings=True)
    assert not any("state" in line for line in described(mutated(lambda m: m.update(state={"bucket": "acme-tf-state"})), warnings=True))


def test_a_region_alone_means_b2s_endpoint_in_that_region():
    manifest = mutated(lambda m: m.update(state={"bucket": "acme-tf-state", "region": "eu-central-003"}))
    report = report_for(json.dumps(manifest))
    assert report.ok() and report.manifest is not None
    state = to_spec(report.manifest, __version__).state
    assert (state.region, state.endpoint) == ("eu-central-003", "https://s3.eu-central-003.backblazeb2.com")


def test_an_endpoint_in_another_region_is_an_error_and_another_s3_is_not():
    manifest = mutated(lambda m: m.update(state={"bucket": "acme-tf-state", "region": "eu-central-003",
                                                  "endpoint": "https://s3.us-west-004.backblazeb2.com"}))
    line = 1 + next(i for i, t in enumerate(json.dumps(manifest, indent=2).splitlines()) if '"endpoint"' in t)
    assert described(manifest) == [
        "state.endpoint 'https://s3.us-west-004.backblazeb2.com' is B2's endpoint in us-west-004, but state.region is "
        f"'eu-central-003': remove state.endpoint (it follows state.region) or make the two agree: state.endpoint (app.json line {line})"]
    other = mutated(lambda m: m.update(state={"bucket": "acme-tf-state", "region": "us-east-1", "endpoint": "https://minio.example.com"}))
    assert described(other) == []
