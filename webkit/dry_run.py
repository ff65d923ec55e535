"""`webkit infra plan --dry-run`: what CI would be handed, written locally."""

TFVARS_FILE = "project.auto.tfvars.json"
