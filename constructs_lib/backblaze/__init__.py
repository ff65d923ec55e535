from .bindings import B2AccountInfo, B2ApplicationKey, B2Bucket, B2Provider
from .bucket import Bucket

__all__ = ["B2AccountInfo", "B2ApplicationKey", "B2Bucket", "B2Provider", "Bucket"]
