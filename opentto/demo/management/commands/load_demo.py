from __future__ import annotations

import time
from typing import Any

from django.core import mail
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.test.utils import override_settings

from opentto.demo.loader import demo_is_loaded, demo_password, load_demo
from opentto.search import index

#: While the story loads, the e-mails its steps would send (reviews assigned, deals signed, …) are
#: kept in memory and counted, not printed: the console backend would bury the password under them.
QUIET_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


#: how the two dense indexes are named in the progress lines
_WHAT = {"results-dense": "results", "demands-dense": "demands"}


class Command(BaseCommand):
    help = (
        "Load the bilingual demo story (never loaded unless asked for). Prints the demo password."
    )

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
        self.prepare_semantic_matching()
        self.stdout.write("")
        self.stdout.write(
            "Demo users: admin, manager, inventor, enterprise, reviewer, official, investor"
        )
        self.stdout.write(f"Demo password: {password}")

    def prepare_semantic_matching(self) -> None:
        """Embed the demo's results and demands (resumable: a second run goes on where the first
        stopped, and embeds nothing once done), so that the demo's matches pages are hybrid from
        the first visit. Progress is printed (and flushed) every few rows."""
        if not index.dense_enabled():
            return
        started = time.monotonic()

        def progress(name: str, done: int, total: int) -> None:
            self.stdout.write(
                f"  {_WHAT.get(name, name)}: {done}/{total} embedded ({time.monotonic() - started:.0f} s)"
            )
            self.stdout.flush()

        self.stdout.write(
            "Preparing semantic matching (embedding the demo's texts; about a second each on 2 cores)…"
        )
        self.stdout.flush()
        counts = index.embed_now(progress)
        self.stdout.write(
            f"Semantic matching ready ({counts.get('results-dense', 0)} results and {counts.get('demands-dense', 0)} demands "
            f"embedded now, in {time.monotonic() - started:.0f} s)."
        )
