"""The bash of the generated workflows, one function per `run:` script.

Kept apart from the YAML so each script can be read, shellchecked and run by the tests. Scripts
read everything from environment variables (never `${{ }}` inside `run:`), and secrets reach
Terraform only as TF_VAR_* in the environment of the step that needs them.
"""

from __future__ import annotations

import shlex

from webkit.spec import SecretSpec

PLAN_FLAGS = "-input=false -lock-timeout=5m -no-color"

# Slack is optional: nothing happens without SLACK_WEBHOOK_URL. The payload is built by python3
# so no message text is ever interpreted by the shell.
NOTIFY = """\
notify() {
  [ -n "${SLACK_WEBHOOK_URL:-}" ] || return 0
  python3 -c 'import json, sys; print(json.dumps({"text": sys.argv[1]}))' "$1" \\
    | curl -fsS -X POST -H 'Content-Type: application/json' --data @- "$SLACK_WEBHOOK_URL" >/dev/null \\
    || echo "::warning::Slack notification failed"
}
"""


def check_stamp(manifest_hash: str) -> str:
    return f"""\
if ! printf '%s  app.json\\n' '{manifest_hash}' | sha256sum --check --status; then
  echo "::error file=app.json::app.json changed since the workflows were generated: run \\`webkit update\\` and commit the result"
  exit 1
fi
"""


def write_stack(stacks: dict[str, str]) -> str:
    """Write the embedded Terraform JSON of $WEBKIT_ENVIRONMENT into $WEBKIT_DIR."""
    cases = []
    for env, text in stacks.items():
        body = text if text.endswith("\n") else text + "\n"
        if "WEBKIT_STACK_EOF" in body:
            raise ValueError("the stack JSON contains the heredoc terminator")
        # GitHub evaluates ${{ … }} inside run: before bash sees it; a value from app.json must
        # stay a literal (an expression there could read secrets into the state).
        body = body.replace("${{", "${{ '${{' }}")
        cases.append(f"  {env})\n    cat > \"$WEBKIT_DIR/cdk.tf.json\" <<'WEBKIT_STACK_EOF'\n{body}WEBKIT_STACK_EOF\n    ;;")
    return (
        'mkdir -p "$WEBKIT_DIR"\n'
        'case "$WEBKIT_ENVIRONMENT" in\n'
        + "\n".join(cases)
        + '\n  *)\n    echo "::error::unknown environment $WEBKIT_ENVIRONMENT"\n    exit 1\n    ;;\nesac\n'
        'echo "directory=$WEBKIT_DIR" >> "$GITHUB_OUTPUT"\n'
    )


def install_sops(version: str, sha256: str) -> str:
    return f"""\
url="https://github.com/getsops/sops/releases/download/v{version}/sops-v{version}.linux.amd64"
curl -fsSL --retry 3 -o "$RUNNER_TEMP/sops" "$url"
echo "{sha256}  $RUNNER_TEMP/sops" | sha256sum --check --strict
install -m 0755 "$RUNNER_TEMP/sops" /usr/local/bin/sops
sops --version
"""


def load_sops_secrets(secrets: list[SecretSpec]) -> str:
    """Decrypt each sops secret into TF_VAR_<variable> of this step only, masked in the log."""
    if not secrets:
        return ""
    lines = [
        "load_sops_secret() {",
        '  local value',
        '  value="$(sops --decrypt --extract "[\\"$3\\"]" "$2")" || { echo "::error file=$2::cannot decrypt $3 from $2"; return 1; }',
        '  while IFS= read -r line; do [ -n "$line" ] && echo "::add-mask::$line"; done <<< "$value"',
        '  export "TF_VAR_$1=$value"',
        "}",
    ]
    for secret in secrets:
        lines.append(f"load_sops_secret {secret.variable} {shlex.quote(secret.file)} {secret.key}")
    return "\n".join(lines) + "\n"


def init() -> str:
    return f"terraform init {PLAN_FLAGS}\n"


def plan(sops: list[SecretSpec]) -> str:
    """Plan with -detailed-exitcode: 0 no changes, 2 changes, 1 error; each is handled, none hidden."""
    return load_sops_secrets(sops) + f"""\
set +e
terraform plan {PLAN_FLAGS} -detailed-exitcode -out=tfplan 2> plan-error.log
code=$?
set -e
cat plan-error.log >&2
echo "exitcode=$code" >> "$GITHUB_OUTPUT"
case "$code" in
  0|2) terraform show -json tfplan > plan.json ;;
  *)
    printf '{{"format_version": "1.2", "errored": true}}\\n' > plan.json
    echo "::error::terraform plan failed (exit $code)"
    ;;
esac
"""


def fail_on_plan_error() -> str:
    return 'echo "::error::terraform plan failed: see the plan step and the pull-request comment"\nexit 1\n'


def render_comment() -> str:
    return """\
python3 "$COMMENT_SCRIPT" render --plan-json "$PLAN_JSON" --environment "$WEBKIT_ENVIRONMENT" \\
  ${ERROR_LOG:+--error-log "$ERROR_LOG"} --out "$RUNNER_TEMP/plan-comment.md"
"""


def post_comment() -> str:
    return """\
python3 "$COMMENT_SCRIPT" post --body-file "$RUNNER_TEMP/plan-comment.md" --repo "$GITHUB_REPOSITORY" \\
  --pr "$PR_NUMBER" --environment "$WEBKIT_ENVIRONMENT"
"""


# The plan leaves the job only encrypted: plans hold secret values in clear. The key is derived
# from a secret both jobs have and the run id, so no extra secret is needed.
PASSPHRASE = """\
passphrase="$(printf 'webkit-plan-%s' "$GITHUB_RUN_ID" | openssl dgst -sha256 -hmac "$DIGITALOCEAN_TOKEN" -r | cut -d' ' -f1)"
echo "::add-mask::$passphrase"
"""


def encrypt_plan() -> str:
    return PASSPHRASE + """\
tar -cf - tfplan .terraform.lock.hcl \\
  | openssl enc -aes-256-cbc -pbkdf2 -iter 200000 -salt -pass fd:3 -out "$RUNNER_TEMP/tfplan.enc" 3<<< "$passphrase"
rm -f tfplan
"""


def decrypt_plan() -> str:
    return PASSPHRASE + """\
openssl enc -d -aes-256-cbc -pbkdf2 -iter 200000 -pass fd:3 -in "$RUNNER_TEMP/plan/tfplan.enc" 3<<< "$passphrase" \\
  | tar -xf -
"""


def apply(sops: list[SecretSpec]) -> str:
    return load_sops_secrets(sops) + f"terraform apply {PLAN_FLAGS} tfplan\n"


def apply_summary() -> str:
    return """\
{
  echo "## Deployed $WEBKIT_ENVIRONMENT"
  echo
  echo '```json'
  terraform output -json deployment_summary
  echo '```'
} >> "$GITHUB_STEP_SUMMARY"
"""


def notify_apply() -> str:
    return NOTIFY + """\
if [ "$APPLY_OUTCOME" = "success" ]; then
  notify "✅ $GITHUB_REPOSITORY: $WEBKIT_ENVIRONMENT infrastructure applied ($RUN_URL)"
else
  notify "❌ $GITHUB_REPOSITORY: $WEBKIT_ENVIRONMENT apply failed, the state may be partial: $RUN_URL"
fi
"""


def drift_report(title: str) -> str:
    return NOTIFY + f"""\
case "$PLAN_EXITCODE" in
  0) echo "No drift in $WEBKIT_ENVIRONMENT"; exit 0 ;;
  2) what="Drift detected in $WEBKIT_ENVIRONMENT" ;;
  *) what="Drift check failed in $WEBKIT_ENVIRONMENT" ;;
esac
python3 "$COMMENT_SCRIPT" render --plan-json plan.json --environment "$WEBKIT_ENVIRONMENT" \\
  --error-log plan-error.log --out "$RUNNER_TEMP/drift.md"
printf '\\n%s: %s\\n' "$what" "$RUN_URL" >> "$RUNNER_TEMP/drift.md"
python3 "$COMMENT_SCRIPT" issue --body-file "$RUNNER_TEMP/drift.md" --repo "$GITHUB_REPOSITORY" \\
  --title "{title} ($WEBKIT_ENVIRONMENT)"
notify "⚠️ $GITHUB_REPOSITORY: $what: $RUN_URL"
exit 1
"""
