"""An App Platform app with one service, built from GitHub or run from a registry image."""

from __future__ import annotations

import json
import re

from constructs_lib.compat import Construct, ConstructError, Scope, TerraformData, address, digitalocean, ref
from constructs_lib.env import EnvValue
from webkit.registry.digitalocean import AppPlatformConfig

_app = digitalocean("app")


def app_platform_region(region: str | None) -> str | None:
    """App Platform takes region slugs without the datacenter number: nyc3 → nyc."""
    return re.sub(r"\d+$", "", region) if region else None


def fingerprint(values: list[str]) -> str:
    """`sha256` of the values, as one Terraform expression. The values are Terraform string
    templates (references and text); JSON quoting is also HCL's, so each stays a template inside
    the expression. (cdktf's Fn would escape their `${` and hash the references' text.)"""
    return "${sha256(join(\"\\n\", [" + ", ".join(json.dumps(v) for v in values) + "]))}"


class AppPlatformService(Construct):
    def __init__(
        self,
        scope: Scope,
        id: str,
        *,
        name: str,
        config: AppPlatformConfig,
        repo: str | None = None,
        source_dir: str = "/",
        default_branch: str = "main",
        env: list[EnvValue] | None = None,
    ):
        """`config`: the validated `app` config of app.json; `repo`, `source_dir` and `default_branch` say
        where a build-from-source app's code is (the project's repository, the app's path, the
        environment's branch; `config.branch` wins when set)."""
        super().__init__(scope, id)
        if config.image is None and repo is None:
            raise ConstructError(f"App Platform app {name} needs an image or a GitHub repo")
        source = (
            {"image": _app.AppSpecServiceImage(**config.image.model_dump(exclude_none=True))}
            if config.image
            else {
                "github": _app.AppSpecServiceGithub(repo=repo, branch=config.branch or default_branch, deploy_on_push=config.deploy_on_push),
                "source_dir": source_dir,
            }
        )
        service = _app.AppSpecService(
            name=id, instance_count=config.instance_count, instance_size_slug=config.instance_size, http_port=config.http_port,
            health_check=_app.AppSpecServiceHealthCheck(http_path=config.health_check_path) if config.health_check_path else None,
            env=[
                _app.AppSpecServiceEnv(key=e.key, value=e.value, type="SECRET" if e.secret else "GENERAL", scope="RUN_AND_BUILD_TIME")
                for e in env or []
            ] or None,
            **source,
        )
        domain_blocks = [
            _app.AppSpecDomain(name=domain, type="PRIMARY" if i == 0 else "ALIAS") for i, domain in enumerate(config.domains)
        ]
        self.app = _app.App(
            self, "app",
            spec=_app.AppSpec(name=name, region=app_platform_region(config.region), service=[service], domain=domain_blocks or None),
        )
        secrets = [e.value for e in env or [] if e.secret]
        if secrets:
            # DigitalOcean reads SECRET env values back encrypted (EV[…]), so every plan shows this
            # app changed, secret or not. The fingerprint changes only when a secret value does:
            # the plan comment and the workflows tell a real secret change from that noise by it.
            TerraformData(self, "secrets", input={"app": address(self.app), "fingerprint": fingerprint(secrets)})

    @property
    def urn(self) -> str:
        return ref(self.app, "urn")

    @property
    def live_url(self) -> str:
        return ref(self.app, "live_url")

    def database_firewall_rule(self) -> dict:
        return {"type": "app", "value": ref(self.app, "id")}

    def outputs(self) -> dict[str, tuple[str, bool]]:
        """Stack outputs: name → (value, sensitive)."""
        return {"live_url": (self.live_url, False)}
