"""The embedded default: SQLite under var/, tasks in-process, console e-mail."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", False)
