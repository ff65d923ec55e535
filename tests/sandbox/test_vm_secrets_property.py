"""A VM app's env never reaches its first-boot user data, and its user secrets never reach
Terraform: for arbitrary env values and secrets, after a real `apply` in the sandbox, no secret
value is anywhere in the state file and no env value is in the user data. (The old `<app>_env`
output held every secret of the app in the state in clear: this test fails on it.)"""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st

from tests.sandbox.conftest import SOURCES, Cycle

# Long enough that a value cannot turn up by chance (inside a key, a hash, a name).
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=12, max_size=40)
KEYS = st.from_regex(r"VM_[A-Z][A-Z0-9_]{2,12}", fullmatch=True)


def forms(value: str) -> list[str]:
    """The ways a value can be written in a JSON file: as it is, and JSON-escaped."""
    return [value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]]


def test_no_env_value_in_user_data_and_no_secret_in_state(tmp_path):
    cycle = Cycle(tmp_path, "production")

    # each example is a real plan and apply (~2 s): no shrinking, the failing example is printed as it is
    @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              phases=(Phase.explicit, Phase.generate))
    @given(values=st.dictionaries(KEYS, TEXT, min_size=1, max_size=3), secrets=st.dictionaries(KEYS, TEXT, min_size=1, max_size=3))
    @example(values={"VM_PEM": "-----BEGIN KEY-----\nline \"two\" \\ ${x} %{y}\n"},
             secrets={"VM_JSON": '{"private_key": "a\nb", "u": "\u2028\u00e9"}'})
    def check(values, secrets):
        secrets = {f"{key}_S": value for key, value in secrets.items()}  # never the name of a plain value
        # a secret that is also a plain value (or inside one) is in the state as that plain value
        assume(not any(s in v or v in s for s in secrets.values() for v in values.values()))
        manifest = copy.deepcopy(SOURCES["example"])
        env = manifest["apps"][0]["env"]["production"]
        env += [{"key": key, "type": "value", "value": value} for key, value in values.items()]
        env += [{"key": key, "type": "secret", "from": f"github-secrets:{key}"} for key in secrets]
        stack = cycle.load(manifest)
        # What CI would hand Terraform if these secrets were still its variables (they are not:
        # Terraform ignores a TF_VAR_ of a variable the stack does not declare).
        cycle.secrets |= {f"github_{key}": value for key, value in secrets.items()}
        cycle.box.init()  # each load writes the working folder anew (the state kept)
        cycle.plan()
        cycle.apply()

        user_data = stack["resource"]["digitalocean_droplet"]["cms_droplet"]["user_data"]
        state = cycle.box.state()
        (droplet,) = json.loads(cycle.box.cloud.read_text())["resources"]["digitalocean_droplet"].values()
        applied = droplet["user_data"]  # as the API received it
        for value in values.values():
            assert not any(form in user_data or form in applied for form in forms(value)), "an env value in user data"
        assert state["outputs"]["cms_env_values"]["value"] | values == state["outputs"]["cms_env_values"]["value"], (
            "the plain values do reach the deploy job's output (the test sees the state it means to)")
        text = (cycle.box.dir / "terraform.tfstate").read_text() + cycle.box.cloud.read_text()
        for value in secrets.values():
            assert not any(form in text for form in forms(value)), "a user secret in the state or sent to the cloud"
        sources = state["outputs"]["cms_env_secret_sources"]["value"]
        assert {s["key"] for s in sources} >= set(secrets), "each secret is named with its source instead"

    with cycle.box.providers():
        check()
