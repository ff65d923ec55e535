from constructs_lib.env import EnvValue

from .app_platform import AppPlatformService
from .droplet import Droplet
from .postgres import Postgres
from .project import Project
from .spaces import SpacesBucket

__all__ = ["AppPlatformService", "Droplet", "EnvValue", "Postgres", "Project", "SpacesBucket"]
