"""Reading a construct's outputs by name, once each.

Every attribute read crosses into Node (a jsii round trip), and a stack reads the same output
for env vars, firewalls and stack outputs; at hundreds of resources that dominated synthesis.
"""

from __future__ import annotations


def output_of(construct, name: str, renames: dict[str, str] | None = None) -> str:
    """The construct's attribute for output `name` (same name unless renamed), memoised on it."""
    memo = construct.__dict__.setdefault("_webkit_outputs", {})
    if name not in memo:
        memo[name] = getattr(construct, (renames or {}).get(name, name))
    return memo[name]
