"""`python -m webkit.registry > workflows/provider_facts.json`: the facts file, from the registry."""

import sys

from webkit.registry import facts_text

sys.stdout.write(facts_text(plugins=False))
