"""The Terraform state backend as app.json sets it: the slips that pass every other check and
surface only in CI (a bucket nobody here owns, an endpoint in another region than the bucket)."""

from __future__ import annotations

import re

from .checks import Problem
from .models import DEFAULT_STATE, Manifest

B2_ENDPOINT = re.compile(r"https://s3\.(?P<region>[a-z0-9-]+)\.backblazeb2\.com/?")


def state_problems(manifest: Manifest) -> list[Problem]:
    state = manifest.state
    given = state.model_fields_set if "state" in manifest.model_fields_set else set()
    problems = []
    if "bucket" not in given:
        where = "No state block" if "state" not in manifest.model_fields_set else "No state.bucket"
        problems.append(Problem(
            "names", f"{where}: Terraform state would go to the default bucket '{DEFAULT_STATE['bucket']}', a name only one "
            "B2 account in the world can own (bucket names are global), and it is not yours. Create a private bucket in your B2 "
            f"account and set \"state\": {{\"bucket\": \"{manifest.project.name}-terraform-state\", \"region\": \"<its region, "
            "such as us-west-004>\"}", ("state", "bucket") if "state" in manifest.model_fields_set else (), warning=True))
    match = B2_ENDPOINT.fullmatch(state.endpoint)
    if "endpoint" in given and "region" in given and match and match["region"] != state.region:
        problems.append(Problem(
            "schema", f"state.endpoint '{state.endpoint}' is B2's endpoint in {match['region']}, but state.region is "
            f"'{state.region}': remove state.endpoint (it follows state.region) or make the two agree", ("state", "endpoint")))
    return problems
