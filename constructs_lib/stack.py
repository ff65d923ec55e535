"""A TerraformStack whose Terraform addresses read like the construct tree."""

from __future__ import annotations

from constructs_lib.compat import TerraformStack


class ReadableStack(TerraformStack):
    def _allocate_logical_id(self, element) -> str:
        """`digitalocean_database_cluster.db_cluster`, not cdktf's `db_cluster_1A2B3C4D`.

        The path below the stack, joined by `_`; a segment repeating its parent is dropped
        (`project/project` → `project`). Manifest names hold no `_`, so addresses cannot collide.
        These are Terraform addresses: changing this function moves every resource of every user.
        """
        segments = element.node.path.split("/")[1:]
        return "_".join(s for i, s in enumerate(segments) if i == 0 or s != segments[i - 1])
