"""A third-party kind through the `webkit.constructs` entry-point group, end to end."""

import json
import os
import subprocess
import sys

from tests.conftest import REPO, plan_example, write_project

PLUGIN_PATH = REPO / "tests" / "plugin"


def with_cache(manifest: dict) -> dict:
    manifest["resources"].append({
        "name": "cache", "type": "valkey", "provider": "digitalocean", "config": {"size": "db-s-1vcpu-1gb", "region": "nyc3"},
    })
    manifest["apps"][0]["env"]["production"].append({"key": "CACHE_URL", "type": "from_resource", "from": "cache.connection_url"})
    return manifest


def webkit(*args, plugin: bool):
    env = dict(os.environ)
    if plugin:
        env["PYTHONPATH"] = os.pathsep.join([str(PLUGIN_PATH), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "webkit", *args], capture_output=True, text=True, env=env)


def test_without_the_plugin_the_kind_is_unsupported(tmp_path):
    write_project(tmp_path, with_cache(plan_example()))
    result = webkit("infra", "validate", "-C", str(tmp_path), plugin=False)
    assert result.returncode == 1
    assert "Unsupported resource valkey/digitalocean" in result.stderr


def test_a_plugin_kind_validates_and_synthesises(tmp_path):
    write_project(tmp_path, with_cache(plan_example()))
    assert webkit("infra", "validate", "-C", str(tmp_path), plugin=True).returncode == 0
    missing = with_cache(plan_example())
    del missing["resources"][1]["config"]["size"]
    write_project(tmp_path / "bad", missing)
    bad = webkit("infra", "validate", "-C", str(tmp_path / "bad"), plugin=True)
    assert "Missing required config: resources[1].config.size" in bad.stderr

    result = webkit("infra", "synth", "-C", str(tmp_path), "--out", "out", plugin=True)
    assert result.returncode == 0, result.stderr
    stack = json.loads((tmp_path / "out" / "stacks" / "production" / "cdk.tf.json").read_text())
    cluster = stack["resource"]["digitalocean_database_cluster"]["cache_cluster"]
    assert (cluster["engine"], cluster["name"]) == ("valkey", "my-website-cache")
    assert stack["output"]["cms_env_sensitive_values"]["value"]["CACHE_URL"] == "${digitalocean_database_cluster.cache_cluster.uri}"
    assert stack["output"]["cache_host"]["sensitive"] is False


def test_a_changed_plugin_is_never_answered_from_the_update_cache(tmp_path):
    import shutil

    plugin = tmp_path / "plugin"
    shutil.copytree(PLUGIN_PATH, plugin)
    code = "from webkit.commands.cache import _code_fingerprint; print(_code_fingerprint())"

    def fingerprint() -> str:
        env = dict(os.environ, PYTHONPATH=str(plugin))
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout

    before = fingerprint()
    construct = plugin / "webkit_valkey" / "construct.py"
    construct.write_text(construct.read_text() + "\n# a new release of the plugin\n")
    assert fingerprint() != before, "the plugin's code is part of the cache key"


def test_check_writes_nothing_at_all(tmp_path):
    write_project(tmp_path, plan_example())
    result = webkit("update", "--check", "-C", str(tmp_path), plugin=False)
    assert result.returncode == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.json"], "not even .webkit/"


def test_a_broken_plugin_is_named_and_skipped_not_fatal(tmp_path):
    broken = tmp_path / "broken"
    (broken / "webkit_broken").mkdir(parents=True)
    (broken / "webkit_broken" / "__init__.py").write_text("raise ImportError('needs libfoo 2')\n")
    dist = broken / "webkit_broken-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: webkit-broken\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[webkit.constructs]\ndigitalocean-broken = webkit_broken:KIND\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(broken), str(PLUGIN_PATH)]))
    run = lambda *args: subprocess.run([sys.executable, "-m", "webkit", *args], capture_output=True, text=True, env=env)  # noqa: E731

    write_project(tmp_path / "plain", plan_example())
    plain = run("infra", "validate", "-C", str(tmp_path / "plain"))
    assert plain.returncode == 0 and "Traceback" not in plain.stderr
    assert "Plugin digitalocean-broken could not be loaded and is skipped: ImportError: needs libfoo 2" in plain.stderr
    write_project(tmp_path / "cache", with_cache(plan_example()))
    assert run("infra", "validate", "-C", str(tmp_path / "cache")).returncode == 0, "the working plugin still works"
    manifest = plan_example()
    manifest["resources"].append({"name": "b", "type": "broken", "provider": "digitalocean", "config": {}})
    write_project(tmp_path / "uses", manifest)
    uses = run("infra", "validate", "-C", str(tmp_path / "uses"))
    assert uses.returncode == 1 and "Unsupported resource broken/digitalocean" in uses.stderr
    assert "plugin digitalocean-broken could not be loaded (ImportError: needs libfoo 2)" in uses.stderr
    assert run("schema").returncode == 0
