"""The ``opentto`` command: Django's management commands with OpenTTO's settings.

``opentto migrate``, ``opentto figures --json``, ``opentto load_demo``, ``opentto runserver`` …
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opentto.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["opentto", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
