"""app.json: its models, the catalog of supported kinds, and loading with checks."""

from .load import MANIFEST_FILE, ManifestError, Report, load, read
from .models import Manifest

__all__ = ["MANIFEST_FILE", "Manifest", "ManifestError", "Report", "load", "read"]
