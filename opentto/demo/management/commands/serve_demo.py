"""``opentto serve_demo [addrport]``: Django's development server that ends its start-up banner with
the demo's address, users and password, so that they are the last lines ``make demo`` prints."""

from __future__ import annotations

from django.core.management.commands.runserver import Command as RunserverCommand

from opentto.demo.loader import demo_password


class Command(RunserverCommand):
    help = "Serve the demo (runserver) and print its address, users and password last."
    # set by runserver's handle() (django-stubs do not declare them)
    addr: str
    _raw_ipv6: bool

    def on_bind(self, server_port: int) -> None:
        super().on_bind(server_port)
        # runserver's own spelling of "0"
        bind_all = "0.0.0.0"  # noqa: S104
        addr = f"[{self.addr}]" if self._raw_ipv6 else (bind_all if self.addr == "0" else self.addr)
        self.stdout.write("")
        self.stdout.write(f"OpenTTO demo: {self.protocol}://{addr}:{server_port}/")
        self.stdout.write(
            "Users: manager, inventor, enterprise, reviewer, official, investor, admin"
        )
        self.stdout.write(f"Password: {demo_password()}")
