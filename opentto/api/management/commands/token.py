"""``opentto token create USERNAME``: print a new API token (header ``Authorization: Token …``).

opentto token create alice --scope write --days 90 --name "CRM sync"
opentto token list [USERNAME]
opentto token revoke PREFIX
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opentto.accounts.models import User
from opentto.api.models import ApiToken, TokenScopeChoices
from opentto.api.services import DEFAULT_TOKEN_DAYS, token_create, token_revoke


class Command(BaseCommand):
    help = "Create, list and revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Print a new token for USERNAME (shown once).")
        create.add_argument("username")
        create.add_argument(
            "--scope", choices=TokenScopeChoices.values, default=TokenScopeChoices.READ
        )
        create.add_argument(
            "--days",
            type=int,
            default=DEFAULT_TOKEN_DAYS,
            help="Valid for this many days (0: no expiry).",
        )
        create.add_argument("--name", default="", help="What the token is for.")
        listing = sub.add_parser("list", help="List tokens (prefix, user, scope, expiry, state).")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="Revoke the token whose key starts with PREFIX.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            user = User.objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"no user {options['username']!r}")
            try:
                _token, key = token_create(
                    user=user,
                    scope=options["scope"],
                    name=options["name"],
                    days=options["days"] or None,
                    actor=None,
                )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            self.stdout.write(key)
        elif action == "list":
            tokens = ApiToken.objects.select_related("user")
            if options["username"]:
                tokens = tokens.filter(user__username=options["username"])
            for t in tokens:
                state = "active" if t.is_active else ("revoked" if t.revoked_at else "expired")
                expires = t.expires_at.date().isoformat() if t.expires_at else "never"
                self.stdout.write(
                    f"{t.prefix}  {t.user.username}  {t.scope}  expires {expires}  {state}  {t.name}"
                )
        else:
            matches = list(ApiToken.objects.filter(prefix=options["prefix"][:8]))
            if len(matches) != 1:
                raise CommandError(f"{len(matches)} tokens start with {options['prefix']!r}")
            token_revoke(token=matches[0], actor=None)
            self.stdout.write(f"revoked {matches[0].prefix}")
