#!/usr/bin/env python
"""Django's manage.py; the installed ``opentto`` command does the same."""

from opentto.cli import main

if __name__ == "__main__":
    main()
