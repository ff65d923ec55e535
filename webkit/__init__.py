"""webkit: one app.json → Terraform (via cdktf) and the GitHub Actions workflows that apply it."""

__version__ = "0.1.0"
