from __future__ import annotations

from typing import Any

from django.core import mail
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.test.utils import override_settings

from opentto.demo.loader import demo_is_loaded, demo_password, load_demo

#: While the story loads, the e-mails its steps would send (reviews assigned, deals signed, …) are
#: kept in memory and counted, not printed: the console backend would bury the password under them.
QUIET_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


class Command(BaseCommand):
    help = "Load the bilingual demo story (never loaded unless asked for). Prints the demo password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="delete all data first (flush)")

    def handle(self, *args: Any, **options: Any) -> None:
        password = demo_password()
        if options["reset"]:
            call_command("flush", interactive=False, verbosity=0)
        if demo_is_loaded():
            self.stdout.write("Demo data already loaded (use --reset to load it again).")
        else:
            previous = getattr(mail, "outbox", None)
            mail.outbox = []
            try:
                with override_settings(EMAIL_BACKEND=QUIET_EMAIL_BACKEND):
                    summary = load_demo(password=password)
                held = len(mail.outbox)
            finally:
                if previous is None:
                    del mail.outbox
                else:
                    mail.outbox = previous
            self.stdout.write(
                f"Loaded the demo: {summary.organisations} organisations, {summary.people} people, "
                f"{summary.results} results ({held} notification e-mails of the story not sent)."
            )
        self.stdout.write("")
        self.stdout.write("Demo users: admin, manager, inventor, enterprise, reviewer, official, investor")
        self.stdout.write(f"Demo password: {password}")
