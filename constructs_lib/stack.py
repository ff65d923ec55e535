"""A TerraformStack whose Terraform addresses read like the construct tree."""

from __future__ import annotations

from constructs_lib.compat import TerraformStack, readable_id


class ReadableStack(TerraformStack):
    """`digitalocean_database_cluster.db_cluster`, not cdktf's `db_cluster_1A2B3C4D`.

    Elements created through `constructs_lib.compat` are named when they are created; the
    callback below names the rest (a plugin's own resources, providers) the same way.
    """

    def __init__(self, scope, id: str):
        super().__init__(scope, id)
        self._webkit_path = ()

    def _allocate_logical_id(self, element) -> str:
        return readable_id(element.node.path.split("/")[1:])
