"""The embedded default: SQLite under var/, tasks in-process, console e-mail."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", False)
# The demo story's plans are approved in one step by its only manager, and a one-person install
# has no second approver: four-eyes plan approval is off here unless the environment turns it on.
OPENTTO_PLAN_FOUR_EYES = env_bool("OPENTTO_PLAN_FOUR_EYES", False)
