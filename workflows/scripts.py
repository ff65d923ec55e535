"""The bash of the generated workflows, one function per `run:` script.

Kept apart from the YAML so each script can be read, shellchecked and run by the tests. Scripts
read everything from environment variables (never `${{ }}` inside `run:`), and secrets reach
Terraform only as TF_VAR_* in the environment of the step that needs them.
"""

from __future__ import annotations

import hashlib
import re
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


# Why a job stopped before Terraform, a line each, for the pull-request comment (plan_comment
# failed): only the workflow's own messages, which name files, keys and secrets but hold no value.
NOTE_FAILURE = """\
note_failure() { printf '%s\\n' "$1" >> "$RUNNER_TEMP/webkit-failure.txt"; }
"""


def check_stamp(manifest_hash: str) -> str:
    """Compare app.json with the hash stamped at generation, carriage returns removed on both sides
    (a CRLF working copy on Windows and the LF checkout on the runner are the same manifest)."""
    return NOTE_FAILURE + f"""\
if [ -n "$WEBKIT_STAMP" ] && [ "$WEBKIT_STAMP" != '{manifest_hash}' ]; then
  message="This workflow and .github/actions/webkit-terraform come from different \\`webkit update\\` runs: run it and commit every file it writes"
  echo "::error::$message"
  note_failure "$message"
  exit 1
fi
actual="$(tr -d '\\r' < app.json | sha256sum | cut -d' ' -f1)"
if [ "$actual" != '{manifest_hash}' ]; then
  message="app.json changed since the workflows were generated: run \\`webkit update\\` and commit the result"
  echo "::error file=app.json::$message"
  note_failure "$message"
  exit 1
fi
"""


# Characters YAML 1.1 reads as line breaks and YAML 1.2 does not (NEL, LS, PS), the other C1 controls,
# DEL and the BOM: different parsers would read a different workflow. JSON allows them only inside
# strings, where \uXXXX means the same character.
_YAML_AMBIGUOUS = re.compile("[\x7f-\x9f\u2028\u2029\ufeff]")


def embeddable_json(text: str) -> str:
    """Terraform JSON as the text of a `run:` script: the same JSON to every YAML parser, and no
    `${{` for GitHub to evaluate (an expression there could read secrets into the state)."""
    text = _YAML_AMBIGUOUS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text.replace("${{", "${{ '${{' }}")


def heredoc_marker(body: str) -> str:
    """A heredoc delimiter that no line of `body` can equal: derived from the body itself."""
    marker = "WEBKIT_STACK_" + hashlib.sha256(body.encode()).hexdigest()[:16].upper()
    while marker in body:
        marker += "_"
    return marker


def write_stack(stacks: dict[str, str]) -> str:
    """Write the embedded Terraform JSON of $WEBKIT_ENVIRONMENT into $WEBKIT_DIR."""
    cases = []
    for env, text in stacks.items():
        body = embeddable_json(text if text.endswith("\n") else text + "\n")
        marker = heredoc_marker(body)
        cases.append(f"  {env})\n    cat > \"$WEBKIT_DIR/cdk.tf.json\" <<'{marker}'\n{body}{marker}\n    ;;")
    return (
        'mkdir -p "$WEBKIT_DIR"\n'
        'case "$WEBKIT_ENVIRONMENT" in\n'
        + "\n".join(cases)
        + '\n  *)\n    echo "::error::unknown environment $WEBKIT_ENVIRONMENT"\n    exit 1\n    ;;\nesac\n'
        'echo "directory=$WEBKIT_DIR" >> "$GITHUB_OUTPUT"\n'
    )


def install_sops(version: str, sha256: str) -> str:
    """Into $RUNNER_TEMP/bin, nothing written to system paths. Later steps call it by that path: a
    write to GITHUB_PATH would let whatever lands in that folder shadow any command (zizmor: github-env)."""
    return f"""\
url="https://github.com/getsops/sops/releases/download/v{version}/sops-v{version}.linux.amd64"
curl -fsSL --retry 3 -o "$RUNNER_TEMP/sops.download" "$url"
echo "{sha256}  $RUNNER_TEMP/sops.download" | sha256sum --check --strict
mkdir -p "$RUNNER_TEMP/bin"
install -m 0755 "$RUNNER_TEMP/sops.download" "$RUNNER_TEMP/bin/sops"
rm -f "$RUNNER_TEMP/sops.download"
"""


def load_sops_secrets(secrets: list[SecretSpec]) -> str:
    """Decrypt each sops secret into TF_VAR_<variable> of this step only, masked in the log.

    A sops path is relative to the repository root, wherever the step runs."""
    if not secrets:
        return ""
    lines = [
        NOTE_FAILURE.rstrip("\n"),
        "load_sops_secret() {",
        '  local value',
        '  value="$("$RUNNER_TEMP/bin/sops" --decrypt --extract "[\\"$3\\"]" -- "$GITHUB_WORKSPACE/$2" 2> "$RUNNER_TEMP/sops-error.log")" || {',
        '    cat "$RUNNER_TEMP/sops-error.log" >&2',
        '    why="cannot decrypt $3 from $2: $(tail -n 1 "$RUNNER_TEMP/sops-error.log")"',
        '    echo "::error file=$2::$why"; note_failure "$why"; return 1',
        '  }',
        '  [ -n "$value" ] || { echo "::error file=$2::$3 in $2 is empty"; note_failure "$3 in $2 is empty"; return 1; }',
        '  while IFS= read -r line; do [ -n "$line" ] && echo "::add-mask::$line"; done <<< "$value"',
        '  export "TF_VAR_$1=$value"',
        "}",
    ]
    for secret in secrets:
        lines.append(f"load_sops_secret {secret.variable} {shlex.quote(secret.file or '')} {secret.key}")
    return "\n".join(lines) + "\n"


def check_secrets(variables: dict[str, str]) -> str:
    """Fail, naming them, when secrets the step needs are unset: GitHub expands an unset secret to
    an empty string, which Terraform would otherwise deploy."""
    lines = [NOTE_FAILURE.rstrip("\n"), "missing=()"]
    for variable, secret in variables.items():
        lines.append(f'[ -n "${{{variable}:-}}" ] || missing+=("{secret}")')
    lines += [
        'if [ "${#missing[@]}" -gt 0 ]; then',
        '  message="These repository or environment secrets are not set: ${missing[*]} (Settings → Secrets and variables → Actions)"',
        '  echo "::error::$message"',
        '  note_failure "$message"',
        "  exit 1",
        "fi",
    ]
    return "\n".join(lines) + "\n"


def guard_run(branches: str) -> str:
    """Only the environment's own branch applies, and only its newest commit: a manual run on
    another branch fails; a re-run of an old run (or one overtaken while waiting for approval)
    outputs current=false, and every later step of the job is skipped."""
    return f"""\
if [ -z "$WEBKIT_ENVIRONMENT" ]; then
  echo "::error::Applies run only from {branches}, not from $GITHUB_REF_NAME"
  exit 1
fi
head="$(curl -fsS -H "Authorization: Bearer $GITHUB_TOKEN" -H 'Accept: application/vnd.github+json' \\
  "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/git/ref/heads/$GITHUB_REF_NAME" \\
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["object"]["sha"])')"
if [ "$head" != "$GITHUB_SHA" ]; then
  # Not a failure: a newer commit's run applies; this one stops here and says so (no Slack).
  message="Superseded by $head: $GITHUB_REF_NAME moved on since $GITHUB_SHA, so nothing was applied (the newest commit's run applies it)"
  echo "::notice title=Nothing applied::$message"
  echo "$message" >> "$GITHUB_STEP_SUMMARY"
  echo "current=false" >> "$GITHUB_OUTPUT"
  exit 0
fi
echo "current=true" >> "$GITHUB_OUTPUT"
"""


def init() -> str:
    return f"terraform init {PLAN_FLAGS}\n"


def plan(sops: list[SecretSpec]) -> str:
    """Plan with -detailed-exitcode: 0 no changes, 2 changes, 1 error; each is handled, none hidden."""
    return load_sops_secrets(sops) + f"""\
set +e
# stdout is shown and kept: the comment lists Terraform's warnings from it
terraform plan {PLAN_FLAGS} -detailed-exitcode -out=tfplan 2> plan-error.log | tee plan-output.log
code=${{PIPESTATUS[0]}}
set -e
# a failed plan has no plan JSON to mask its secrets with: the logs lose this step's TF_VAR_ values here
python3 -I "$COMMENT_DIR" scrub plan-error.log plan-output.log
cat plan-error.log >&2
echo "exitcode=$code" >> "$GITHUB_OUTPUT"
case "$code" in
  0|2)
    terraform show -json tfplan > plan.json
    # Exit 2 includes App Platform's encrypted-secret noise; `changes` says whether anything real changes.
    changes=false
    if [ "$code" = 2 ]; then changes="$(python3 -I "$COMMENT_DIR" changes --plan-json plan.json)"; fi
    echo "changes=$changes" >> "$GITHUB_OUTPUT"
    ;;
  *)
    printf '{{"format_version": "1.2", "errored": true}}\\n' > plan.json
    echo "::error::terraform plan failed (exit $code)"
    ;;
esac
"""


def comment_failure() -> str:
    """The pull request's comment says the run failed and why, when it failed before the plan step
    could render one: the previous push's green plan must not stand beside a red check."""
    return """\
python3 -I "$COMMENT_DIR" failed --environment "$WEBKIT_ENVIRONMENT" --step "$FAILED_STEP" \\
  --reasons "$RUNNER_TEMP/webkit-failure.txt" --out "$RUNNER_TEMP/plan-comment.md"
python3 -I "$COMMENT_DIR" post --body-file "$RUNNER_TEMP/plan-comment.md" --repo "$GITHUB_REPOSITORY" \\
  --pr "$PR_NUMBER" --environment "$WEBKIT_ENVIRONMENT"
"""


def fail_on_plan_error() -> str:
    return 'echo "::error::terraform plan failed: see the plan step and the pull-request comment"\nexit 1\n'


def report_plan_failure() -> str:
    """After a merge nobody reads a comment: the job summary shows Terraform's error, Slack hears of it."""
    return NOTIFY + """\
# Terraform's error text goes through the comment's escaping and masks, as in the comment
python3 -I "$COMMENT_DIR" failure --environment "$WEBKIT_ENVIRONMENT" --error-log "${PLAN_DIR:-.}/plan-error.log" \
  >> "$GITHUB_STEP_SUMMARY" || echo "## Plan failed for $WEBKIT_ENVIRONMENT (see the log)" >> "$GITHUB_STEP_SUMMARY"
notify "❌ $GITHUB_REPOSITORY: the $WEBKIT_ENVIRONMENT plan failed, nothing was applied: $RUN_URL"
echo "::error::terraform plan failed: nothing was applied (see the job summary)"
exit 1
"""


def fork_notice(summary: str) -> str:
    return f"""\
echo {shlex.quote(summary)} >> "$GITHUB_STEP_SUMMARY"
echo "::error::No plan ran: pull requests from forks get no secrets. A maintainer can push this branch to the repository to plan it."
exit 1
"""


def render_comment() -> str:
    """The comment, and the whole plan in the job summary (the comment points there when cut)."""
    return """\
if [ -n "$ERROR_LOG" ] && [ ! -s "$ERROR_LOG" ]; then ERROR_LOG=""; fi
if [ -n "$PLAN_LOG" ] && [ ! -f "$PLAN_LOG" ]; then PLAN_LOG=""; fi
python3 -I "$COMMENT_DIR" render --plan-json "$PLAN_JSON" --environment "$WEBKIT_ENVIRONMENT" \\
  ${ERROR_LOG:+--error-log "$ERROR_LOG"} ${PLAN_LOG:+--plan-log "$PLAN_LOG"} \\
  --summary-out "$GITHUB_STEP_SUMMARY" --out "$RUNNER_TEMP/plan-comment.md"
"""


def post_comment() -> str:
    return """\
python3 -I "$COMMENT_DIR" post --body-file "$RUNNER_TEMP/plan-comment.md" --repo "$GITHUB_REPOSITORY" \\
  --pr "$PR_NUMBER" --environment "$WEBKIT_ENVIRONMENT"
"""


# The plan leaves the job only encrypted and authenticated: plans hold secret values in clear, and
# the apply must run exactly the plan that was made. Keys are derived from WEBKIT_PLAN_KEY, which
# the plan job (in the read-only `plan` environment) and the apply job (in production or staging)
# both have, and the run id (encrypt-then-MAC: a changed byte fails before anything is decrypted).
KEYS = """\
if [ -z "${WEBKIT_PLAN_KEY:-}" ]; then
  echo "::error::WEBKIT_PLAN_KEY is empty: refusing to protect the plan with an empty key"
  exit 1
fi
derive() { printf 'webkit-plan-%s-%s' "$1" "$GITHUB_RUN_ID" | openssl dgst -sha256 -hmac "$WEBKIT_PLAN_KEY" -r | cut -d' ' -f1; }
passphrase="$(derive encrypt)"
mackey="$(derive mac)"
echo "::add-mask::$passphrase"
echo "::add-mask::$mackey"
"""


def encrypt_plan() -> str:
    return KEYS + """\
mkdir -p "$RUNNER_TEMP/plan-out"
tar -cf "$RUNNER_TEMP/plan.tar" tfplan .terraform.lock.hcl
openssl enc -aes-256-cbc -pbkdf2 -iter 200000 -salt -pass fd:3 -in "$RUNNER_TEMP/plan.tar" \\
  -out "$RUNNER_TEMP/plan-out/tfplan.enc" 3<<< "$passphrase"
openssl dgst -sha256 -mac HMAC -macopt "hexkey:$mackey" -r "$RUNNER_TEMP/plan-out/tfplan.enc" | cut -d' ' -f1 \\
  > "$RUNNER_TEMP/plan-out/tfplan.enc.mac"
rm -f tfplan "$RUNNER_TEMP/plan.tar"
"""


def decrypt_plan() -> str:
    return KEYS + """\
expected="$(cat "$RUNNER_TEMP/plan/tfplan.enc.mac")"
actual="$(openssl dgst -sha256 -mac HMAC -macopt "hexkey:$mackey" -r "$RUNNER_TEMP/plan/tfplan.enc" | cut -d' ' -f1)"
if [ -z "$expected" ] || [ "$actual" != "$expected" ]; then
  echo "::error::the saved plan does not match what the plan job wrote: refusing to apply it"
  exit 1
fi
openssl enc -d -aes-256-cbc -pbkdf2 -iter 200000 -pass fd:3 -in "$RUNNER_TEMP/plan/tfplan.enc" \\
  -out "$RUNNER_TEMP/plan.tar" 3<<< "$passphrase"
tar -xf "$RUNNER_TEMP/plan.tar"
rm -f "$RUNNER_TEMP/plan.tar"
"""


STALE_PLAN = ("The saved plan is stale: the state changed since it was made (an earlier attempt of this run applied part "
              "of it), so nothing was applied now. Use Re-run all jobs, not Re-run failed jobs: it makes a new plan from "
              "the current state, shown in the plan job's summary, and applies that")


def apply(sops: list[SecretSpec]) -> str:
    """Apply the saved plan. Terraform refuses a plan older than the state ("Re-run failed jobs"
    after a partial apply reuses the first attempt's plan): then say which button recovers."""
    return load_sops_secrets(sops) + f"""\
set +e
terraform apply {PLAN_FLAGS} tfplan 2> "$RUNNER_TEMP/apply-error.log"
code=$?
set -e
cat "$RUNNER_TEMP/apply-error.log" >&2
if [ "$code" != 0 ] && grep -q 'Saved plan is stale' "$RUNNER_TEMP/apply-error.log"; then
  echo "stale=true" >> "$GITHUB_OUTPUT"
  echo "::error title=Re-run all jobs::{STALE_PLAN}"
fi
exit "$code"
"""


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
elif [ "$APPLY_STALE" = "true" ]; then
  notify "❌ $GITHUB_REPOSITORY: $WEBKIT_ENVIRONMENT: the saved plan is stale, nothing was applied; use Re-run all jobs: $RUN_URL"
else
  notify "❌ $GITHUB_REPOSITORY: $WEBKIT_ENVIRONMENT apply failed, the state may be partial: $RUN_URL"
fi
"""


def find_branch() -> str:
    """Whether $BRANCH exists yet (outputs `exists`): a declared environment nobody pushed is not
    provisioned, which is no drift and no failure. Any answer but found / not found fails."""
    return """\
code="$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $GITHUB_TOKEN" \\
  -H 'Accept: application/vnd.github+json' "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/git/ref/heads/$BRANCH")"
case "$code" in
  200) echo "exists=true" >> "$GITHUB_OUTPUT" ;;
  404)
    message="$WEBKIT_ENVIRONMENT: not provisioned yet (no branch \\`$BRANCH\\`), so no drift to check"
    echo "::notice title=Drift check::$message"
    echo "$message" >> "$GITHUB_STEP_SUMMARY"
    echo "exists=false" >> "$GITHUB_OUTPUT"
    ;;
  *)
    echo "::error::cannot tell whether the branch $BRANCH exists (GitHub answered HTTP $code)"
    exit 1
    ;;
esac
"""


def find_state() -> str:
    """Whether the environment's state holds any resource (outputs `provisioned`): a branch that
    was never applied would otherwise plan every resource as drift. Unreadable state fails."""
    return """\
# (state list fails when there is no state; the state, secrets included, goes only into python3)
provisioned="$(terraform state pull | python3 -c 'import json, sys; text = sys.stdin.read().strip(); print(str(bool(text and json.loads(text).get("resources"))).lower())')"
if [ "$provisioned" = true ]; then
  echo "provisioned=true" >> "$GITHUB_OUTPUT"
  exit 0
fi
message="$WEBKIT_ENVIRONMENT: not provisioned yet (no state: nothing was applied from branch \\`$BRANCH\\`), so no drift to check"
echo "::notice title=Drift check::$message"
echo "$message" >> "$GITHUB_STEP_SUMMARY"
echo "provisioned=false" >> "$GITHUB_OUTPUT"
"""


def drift_report(title: str) -> str:
    return NOTIFY + f"""\
if [ "$PLAN_EXITCODE" = 2 ] && [ "$PLAN_CHANGES" = false ]; then
  echo "Only known provider noise in $WEBKIT_ENVIRONMENT (App Platform's encrypted secret values): no drift"
  PLAN_EXITCODE=0
fi
case "$PLAN_EXITCODE" in
  0)
    echo "No drift in $WEBKIT_ENVIRONMENT"
    python3 -I "$COMMENT_DIR" resolve --repo "$GITHUB_REPOSITORY" --title "{title} ($WEBKIT_ENVIRONMENT)" \\
      --note "No drift any more: $RUN_URL"
    exit 0
    ;;
  2) what="Drift detected in $WEBKIT_ENVIRONMENT" ;;
  *) what="Drift check failed in $WEBKIT_ENVIRONMENT" ;;
esac
python3 -I "$COMMENT_DIR" render --plan-json plan.json --environment "$WEBKIT_ENVIRONMENT" \\
  --error-log plan-error.log --plan-log plan-output.log --summary-out "$GITHUB_STEP_SUMMARY" --out "$RUNNER_TEMP/drift.md"
printf '\\n%s: %s\\n' "$what" "$RUN_URL" >> "$RUNNER_TEMP/drift.md"
python3 -I "$COMMENT_DIR" issue --body-file "$RUNNER_TEMP/drift.md" --repo "$GITHUB_REPOSITORY" \\
  --title "{title} ($WEBKIT_ENVIRONMENT)"
notify "⚠️ $GITHUB_REPOSITORY: $what: $RUN_URL"
exit 1
"""


# --------------------------------------------------------------------------- VM app deploys

# The deploy job's private folder: the SSH key and files, the agent's request and result (0700).
DEPLOY_DIR = '"$RUNNER_TEMP/webkit-deploy"'
_DEPLOY_NOTE = """\
D=""" + DEPLOY_DIR + """
mkdir -m 0700 -- "$D" 2> /dev/null || true
# The first failure's phase and reason, for the report (its first line names them).
note() {
  [ -e "$D/note.json" ] || python3 -c 'import json, sys; print(json.dumps({"ok": False, "phase": sys.argv[1], "reason": sys.argv[2]}))' "$1" "$2" > "$D/note.json"
  echo "::error title=$1::$2"
}
"""
_DO_API = """\
do_api() {  # METHOD [BODY]: the deploy firewall's rules through DigitalOcean's API
  curl -fsS --retry 3 -X "$1" -H "Authorization: Bearer $DIGITALOCEAN_TOKEN" -H 'Content-Type: application/json' \\
    ${2:+--data "$2"} "https://api.digitalocean.com/v2/firewalls/$FIREWALL_ID${2:+/rules}" 2> "$D/api-error.log"
}
# Every inbound rule of the deploy firewall is a window: it holds nothing else (Terraform ignores its
# inbound rules), and one release per environment runs at a time.
open_rules() {
  do_api GET | python3 -c 'import json, sys; r = json.load(sys.stdin)["firewall"].get("inbound_rules") or []; print(json.dumps({"inbound_rules": r}) if r else "")'
}
"""


def open_window(clear_leftovers: bool) -> str:
    """Port 22 for this runner's address on the app's deploy firewall (`rule`, this run's rule, as
    output); a release first clears what earlier, cancelled runs left open."""
    clear = """\
leftover="$(open_rules)" || { note window "DigitalOcean's API did not list the deploy firewall's rules: $(tail -n 1 "$D/api-error.log")"; exit 1; }
if [ -n "$leftover" ]; then
  echo "Clearing what earlier runs left open"
  do_api DELETE "$leftover" > /dev/null || { note window "DigitalOcean's API did not clear an old window: $(tail -n 1 "$D/api-error.log")"; exit 1; }
fi
""" if clear_leftovers else ""
    return _DEPLOY_NOTE + _DO_API + clear + """\
address="$(curl -fsS --retry 3 https://api.ipify.org)" || { note window "cannot learn this runner's public address"; exit 1; }
rule="$(python3 -c 'import ipaddress, json, sys; a = ipaddress.IPv4Address(sys.argv[1]); print(json.dumps({"inbound_rules": [{"protocol": "tcp", "ports": "22", "sources": {"addresses": [f"{a}/32"]}}]}))' "$address")" \\
  || { note window "this runner's public address is not an IPv4 address"; exit 1; }
echo "rule=$rule" >> "$GITHUB_OUTPUT"
do_api POST "$rule" > /dev/null || { note window "DigitalOcean's API did not open port 22 for this runner: $(tail -n 1 "$D/api-error.log")"; exit 1; }
echo "Port 22 of the droplet is open to $address for this run"
"""


def close_window() -> str:
    """Removes this run's rule ($RULE), and only it: another run's window stays open."""
    return _DEPLOY_NOTE + _DO_API + """\
[ -n "${RULE:-}" ] || exit 0
do_api DELETE "$RULE" > /dev/null || { note window "could not close the window: $(tail -n 1 "$D/api-error.log"); remove the deploy firewall's inbound rule for this runner by hand"; exit 1; }
echo "Port 22 of the droplet is closed again"
"""


def run_agent(agent_path: str) -> str:
    """Wait for the droplet to answer SSH (a first deploy follows its creation), upload the agent,
    run it with the request on stdin. Its container logs (masked) go to this log only."""
    return _DEPLOY_NOTE + f"""\
ssh_to() {{
  ssh -F /dev/null -i "$D/deploy_key" -o HostKeyAlias="$HOST_ALIAS" -o StrictHostKeyChecking=yes \\
    -o UserKnownHostsFile="$D/known_hosts" -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o BatchMode=yes \\
    -o ConnectTimeout=10 -o ServerAliveInterval=15 "deploy@$ADDRESS" "$@"
}}
deadline=$((SECONDS + SSH_WAIT_SECONDS))
delay=2
until ssh_to true 2> "$D/ssh.log"; do
  cat "$D/ssh.log" >&2
  if grep -q 'Host key verification failed' "$D/ssh.log"; then
    note host-key "the machine at $ADDRESS did not show the host key Terraform made for this droplet (Host key verification failed): nothing was sent to it"
    exit 1
  fi
  if grep -q 'Permission denied' "$D/ssh.log"; then
    note connect "the droplet at $ADDRESS refused the deploy key"
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    note connect "the droplet at $ADDRESS did not answer SSH within $SSH_WAIT_SECONDS s: $(tail -n 1 "$D/ssh.log")"
    exit 1
  fi
  echo "Waiting for $ADDRESS to answer SSH (a new droplet is still booting)"
  sleep "$delay"
  delay=$((delay < 16 ? delay * 2 : 30))
done
ssh_to "sudo install -d -m 0700 {agent_path.rsplit("/", 1)[0]} && sudo tee {agent_path} > /dev/null" < "$AGENT" \\
  || {{ note connect "could not upload the deploy agent to $ADDRESS"; exit 1; }}
set +e
ssh_to "sudo python3 {agent_path} $VERB" < "$D/request.json" > "$D/result.json"
code=$?
set -e
python3 -I "$DEPLOY_SCRIPT" logs --result "$D/result.json" || true
if [ "$code" = 255 ]; then
  note connect "the SSH connection to $ADDRESS broke during the deploy"
fi
exit "$code"
"""


def report_deploy() -> str:
    """Job summary, one comment on the merged pull request (found from the commit), one Slack message."""
    return """\
D=""" + DEPLOY_DIR + """
set +e
python3 -I "$DEPLOY_SCRIPT" report --app "$APP" --environment "$WEBKIT_ENVIRONMENT" --dir "$D" --result "$D/result.json" \\
  --note "$D/note.json" --repository "$GITHUB_REPOSITORY" --run-url "$RUN_URL" --workflow "$GITHUB_WORKFLOW" \\
  --url "$APP_URL" --build "$BUILD_RESULT"
code=$?
set -e
[ ! -f "$D/report.md" ] || cat "$D/report.md" >> "$GITHUB_STEP_SUMMARY"
api() { curl -fsS -H "Authorization: Bearer $GITHUB_TOKEN" -H 'Accept: application/vnd.github+json' "$@"; }
pr="$(api "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/commits/$GITHUB_SHA/pulls" \\
  | python3 -c 'import json, sys; prs = [p for p in json.load(sys.stdin) if p.get("merged_at")]; print(prs[0]["number"] if prs else "")')" \\
  || { echo "::warning::could not find the pull request of $GITHUB_SHA"; pr=""; }
if [ -n "$pr" ]; then
  api -X POST -H 'Content-Type: application/json' --data @"$D/comment.json" \\
    "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/issues/$pr/comments" > /dev/null || echo "::warning::could not comment on #$pr"
fi
if [ -n "${SLACK_WEBHOOK_URL:-}" ]; then
  curl -fsS -X POST -H 'Content-Type: application/json' --data @"$D/slack.json" "$SLACK_WEBHOOK_URL" > /dev/null \\
    || echo "::warning::Slack notification failed"
fi
rm -f "$D/deploy_key" "$D/request.json"
exit "$code"
"""


def prepare_deploy(args: list[str]) -> str:
    """The app's Terraform outputs (into a private file, never the log) and secrets → the SSH files
    and the agent's request (deploy_job.py prepare)."""
    quoted = " ".join(shlex.quote(a) for a in args)
    return _DEPLOY_NOTE + f"""\
umask 077
terraform output -json > "$D/outputs.json" 2> "$D/output-error.log" \\
  || {{ cat "$D/output-error.log" >&2; note outputs "cannot read the Terraform outputs: $(tail -n 1 "$D/output-error.log")"; exit 1; }}
set +e
python3 -I "$DEPLOY_SCRIPT" prepare --outputs="$D/outputs.json" --dir="$D" --alias="$HOST_ALIAS" --verb="$VERB" \\
  --sha="$COMMIT" --digest="$DIGEST" --run-url="$RUN_URL" --caddy-image="$CADDY_IMAGE" --registry-user="$GITHUB_ACTOR" \\
  --sops="$RUNNER_TEMP/bin/sops" --workspace="$GITHUB_WORKSPACE" {quoted}
code=$?
set -e
rm -f "$D/outputs.json"
exit "$code"
"""


def apps_to_build(apps: dict[str, tuple[list[str], str]]) -> str:
    """Per VM app (name → its build inputs, its droplet's address): `<name>=true` when an input
    changed since the branch's previous head, or this plan creates the droplet (a new machine runs
    nothing yet); everything is built when there is no previous head to compare with."""
    lines = [
        'build_all=false',
        'if [ "$GITHUB_EVENT_NAME" != push ] || ! git cat-file -e "${BEFORE}^{commit}" 2> /dev/null; then build_all=true; fi',
        'changed() { [ "$build_all" = true ] || ! git diff --quiet "$BEFORE" "$GITHUB_SHA" -- "$@"; }',
        "created() {",
        "  python3 -c 'import json, sys; plan = json.load(open(sys.argv[1])); print(any(c[\"address\"] == sys.argv[2] and \"create\" in c[\"change\"][\"actions\"] for c in plan.get(\"resource_changes\", [])))' \\",
        '    "$PLAN_JSON" "$1" | grep -qx True',
        "}",
    ]
    for name, (inputs, droplet) in apps.items():
        specs = " ".join(shlex.quote(f":(literal){path}") for path in inputs)
        lines.append(f"if changed {specs} || created {shlex.quote(droplet)}; then built=true; else built=false; fi")
        lines.append(f'echo "{name}=$built" >> "$GITHUB_OUTPUT"')
        lines.append(f'echo "{name}: build and deploy: $built"')
    return "\n".join(lines) + "\n"


def report_app_drift(title: str, inputs: list[str]) -> str:
    """One issue per environment and app: opened or updated on drift, closed when it is gone. The
    running version is up to date when its build inputs equal the branch head's."""
    specs = " ".join(shlex.quote(f":(literal){path}") for path in inputs)
    return NOTIFY + """\
D=""" + DEPLOY_DIR + f"""
running="$(python3 -c 'import json, sys; print((json.load(open(sys.argv[1])).get("current") or {{}}).get("sha", ""))' "$D/result.json" 2> /dev/null || true)"
up_to_date=false
if [[ "$running" =~ ^[0-9a-f]{{40}}$ ]] && git cat-file -e "$running^{{commit}}" 2> /dev/null && git diff --quiet "$running" HEAD -- {specs}; then
  up_to_date=true
fi
title="{title} ($WEBKIT_ENVIRONMENT/$APP)"
if python3 -I "$DEPLOY_SCRIPT" drift --app="$APP" --environment="$WEBKIT_ENVIRONMENT" --dir="$D" --result="$D/result.json" \\
    --note="$D/note.json" --expected="$(git rev-parse HEAD)" --up-to-date="$up_to_date" --run-url="$RUN_URL"; then
  python3 -I "$COMMENT_DIR" resolve --repo "$GITHUB_REPOSITORY" --title "$title" --note "No app drift any more: $RUN_URL"
  exit 0
fi
cat "$D/drift.md" >> "$GITHUB_STEP_SUMMARY"
python3 -I "$COMMENT_DIR" issue --body-file "$D/drift.md" --repo "$GITHUB_REPOSITORY" --title "$title"
notify "⚠️ $GITHUB_REPOSITORY: $title: $RUN_URL"
exit 1
"""
