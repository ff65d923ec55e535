"""`validate` and `update` say what an edit of app.json does to running resources, compared with
the committed app.json, in the real providers' terms (workflows/provider_facts.json)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import plan_example, write_project
from tests.test_cli import webkit
from webkit.commands.changes import changes
from webkit.manifest.catalog import KINDS
from webkit.manifest.models import Manifest
from webkit.provider_facts import REPLACE_ON

BUCKETS = [
    {"name": "media", "type": "s3", "provider": "digitalocean", "config": {"region": "ams3"}},
    {"name": "files", "type": "s3", "provider": "backblaze"},
]


def committed(folder, manifest: dict):
    """A git work tree whose HEAD holds `manifest` as app.json."""
    write_project(folder, manifest)
    git = ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "app.json"], check=True)
    subprocess.run(git + ["commit", "-qm", "app.json"], check=True)
    return folder


def edited(change) -> tuple[dict, dict]:
    old = plan_example()
    old["resources"] += BUCKETS
    new = json.loads(json.dumps(old))
    change(new)
    return old, new


def vm_config(manifest):
    return manifest["apps"][0]["infra"]["config"]


@pytest.mark.parametrize("key, value", [("monitoring", False), ("image", "debian-12-x64"), ("region", "sfo3")])
def test_a_forcenew_droplet_attribute_is_a_warning_with_its_line(tmp_path, key, value):
    old, new = edited(lambda m: vm_config(m).__setitem__(key, value))
    committed(tmp_path, old)
    write_project(tmp_path, new)
    result = webkit("infra", "validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    line = next(i + 1 for i, text in enumerate(json.dumps(new, indent=2).splitlines()) if f'"{key}"' in text and str(value).lower() in text.lower())
    warning = next(text for text in result.stderr.splitlines() if f"apps.cms: {key}" in text)
    assert warning.startswith("⚠ ")
    assert "digitalocean_droplet replaced: a new droplet, with a new IP address" in warning
    assert warning.endswith(f"apps[0].infra.config.{key} (app.json line {line})")


def test_a_droplet_resize_is_downtime_not_a_replacement(tmp_path):
    old, new = edited(lambda m: vm_config(m).__setitem__("size", "s-4vcpu-8gb"))
    committed(tmp_path, old)
    write_project(tmp_path, new)
    result = webkit("infra", "validate", cwd=tmp_path)
    assert "ℹ Compared with the committed app.json (git HEAD):" in result.stdout
    assert "ℹ apps.cms: size 's-2vcpu-4gb' → 's-4vcpu-8gb': digitalocean_droplet resized in place" in result.stdout
    assert "(downtime)" in result.stdout and "replaced" not in result.stdout + result.stderr


def test_a_database_region_is_a_migration_and_a_bucket_region_a_replacement():
    def move(m):
        m["resources"][0]["config"]["region"] = "ams3"
        m["resources"][1]["config"]["region"] = "fra1"
    found = {c.path: c for c in changes(*(Manifest.model_validate(m) for m in edited(move)))}
    db, bucket = found[("resources", 0, "config", "region")], found[("resources", 1, "config", "region")]
    assert not db.serious and "migrated in place" in db.message
    assert bucket.serious and "replaced: a new, empty bucket: its files are lost" in bucket.message


def test_a_project_rename_says_per_resource_what_happens():
    old, new = edited(lambda m: m["project"].__setitem__("name", "renamed"))
    said = {c.message.split(": ", 1)[1]: c.serious for c in changes(Manifest.model_validate(old), Manifest.model_validate(new))}
    assert said == {
        "resources.db (digitalocean_database_cluster) replaced: a new, empty database: its data is lost": True,
        "resources.media (digitalocean_spaces_bucket) the provider plans a rename but never performs it: "
        "the bucket keeps its name and every later plan shows it again": True,
        "resources.files (b2_bucket) replaced: a new, empty bucket: its files are lost": True,
        "apps.cms (digitalocean_droplet) renamed in place": False,
    }


def test_every_forcenew_config_key_of_every_kind_is_a_warning():
    """Pinned against the facts table: a config key named like a ForceNew attribute of the kind's
    resource warns; nothing else does."""
    manifest = Manifest.model_validate(plan_example())
    seen = set()
    for kind in KINDS.values():
        for key in sorted(REPLACE_ON.get(kind.resource_type, set()) & set(kind.config.model_fields) - set(kind.ignore_changes)):
            seen.add((kind.resource_type, key))
    assert seen == {("digitalocean_droplet", k) for k in ("image", "region", "monitoring")} | {("digitalocean_spaces_bucket", "region")}
    assert changes(manifest, manifest) == []


def test_update_says_it_too_and_nothing_without_git(tmp_path):
    old, new = edited(lambda m: vm_config(m).__setitem__("monitoring", False))
    committed(tmp_path / "git", old)
    write_project(tmp_path / "git", new)
    write_project(tmp_path / "plain", new)
    assert "digitalocean_droplet replaced" in webkit("update", "--check", cwd=tmp_path / "git").stderr
    plain = webkit("infra", "validate", cwd=tmp_path / "plain")
    assert plain.returncode == 0 and "Compared with" not in plain.stdout and "replaced" not in plain.stderr


def test_a_broken_committed_app_json_is_no_baseline(tmp_path):
    committed(tmp_path, "{ not json")
    write_project(tmp_path, plan_example())
    result = webkit("infra", "validate", cwd=tmp_path)
    assert result.returncode == 0 and "Compared with" not in result.stdout and "Traceback" not in result.stderr


def test_ssh_keys_are_ignored_after_creation_as_the_droplet_says():
    """ssh_keys is ForceNew in the provider, but the droplet ignores its changes: no warning, and
    the catalog's list is the one the synthesised droplet carries."""
    from stacks.synth import synthesize
    from webkit.spec import to_spec

    old, new = edited(lambda m: vm_config(m).__setitem__("ssh_keys", ["deploy"]))
    assert changes(Manifest.model_validate(old), Manifest.model_validate(new)) == []
    stack = json.loads(synthesize(to_spec(Manifest.model_validate(new), "0"))["production"])
    droplet = next(iter(stack["resource"]["digitalocean_droplet"].values()))
    assert tuple(droplet["lifecycle"]["ignore_changes"]) == KINDS[("digitalocean", "vm")].ignore_changes


def test_a_gone_resource_or_environment_is_a_warning():
    old = plan_example()
    old["resources"] += BUCKETS
    old["environments"] = ["production", "staging"]
    new = json.loads(json.dumps(old))
    new["resources"] = [r for r in new["resources"] if r["name"] != "media"]
    new["resources"][0]["name"] = "database"  # a rename is a new address: the old one is destroyed
    new["apps"][0]["env"]["production"][0]["from"] = "resource:database:connection_url"
    new["environments"] = ["production"]
    said = {c.message: c.serious for c in changes(Manifest.model_validate(old), Manifest.model_validate(new))}
    assert said == {
        "resources.db is gone from app.json (removed or renamed): its digitalocean_database_cluster will be destroyed, "
        "and its data is lost, in every environment": True,
        "resources.media is gone from app.json (removed or renamed): its digitalocean_spaces_bucket will be destroyed, "
        "and its files are lost, in every environment": True,
        "environment staging is gone from environments: webkit no longer plans or applies it, and its cloud resources "
        "keep running (and billing) until you destroy them (README, Environments)": True,
    }


def test_a_huge_committed_app_json_is_read_no_further_than_the_manifest_limit(tmp_path):
    """A committed app.json of 256 MiB was read whole (about 1.2 GiB of memory, or a traceback):
    git's output is read up to the manifest limit, and such a file is no baseline."""
    folder = committed(tmp_path / "p", '{"project": {"name": "shop"}, "pad": "' + " " * 2**28 + '"}')
    write_project(folder, plan_example())
    code = (
        "import resource, sys, pathlib\n"
        "from webkit.commands.changes import committed_manifest\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "found = committed_manifest(pathlib.Path(sys.argv[1]))\n"
        "print(found, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    found, grown_mib = result.stdout.split()
    assert found == "None" and int(grown_mib) < 40, f"memory grew by {grown_mib} MiB"
    checked = webkit("infra", "validate", "-C", str(folder))
    assert checked.returncode == 0 and "Traceback" not in checked.stderr


def test_no_config_edit_of_a_vm_app_replaces_its_keys():
    """A droplet keeps the keys of its first boot, so replacing a key alone would break every deploy
    to it. No app.json edit can: the keys' arguments are fixed in the construct (only a rename, a
    new machine with new keys, changes them, and that is warned about as a gone app). Each config
    key of a VM app, changed, leaves the synthesised keys exactly as they were."""
    from stacks.synth import synthesize
    from webkit.spec import to_spec

    def keys(manifest: dict) -> dict:
        stack = json.loads(synthesize(to_spec(Manifest.model_validate(manifest), "0"))["production"])
        return {name: {k: v for k, v in key.items() if k != "//"} for name, key in stack["resource"]["tls_private_key"].items()}

    edits = {"size": "s-4vcpu-8gb", "region": "ams3", "image": "debian-12-x64", "monitoring": False, "backups": True,
             "ssh_keys": ["ops laptop"], "ssh_sources": ["203.0.113.0/24"], "reserved_ip": True, "tags": ["x"], "env_from_shared": False,
             "domain": "cms.example.com"}
    old = plan_example()
    new = json.loads(json.dumps(old))
    vm_config(new).update(edits)
    assert set(edits) == set(KINDS[("digitalocean", "vm")].config.model_fields), "every config key is edited"
    assert keys(old) == keys(new) == {"cms_host_key": {"algorithm": "ED25519"}, "cms_deploy_key": {"algorithm": "ED25519"}}
