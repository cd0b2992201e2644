"""For a server operator: reset someone's two-factor sign-in (a lost phone, and no
workspace admin able to do it from the Members page)."""

from django.core.management.base import BaseCommand, CommandError

from accounts.services_two_factor import two_factor_reset_by_operator
from planner.errors import NotFound


class Command(BaseCommand):
    help = (
        "Remove the authenticator app and recovery codes of the account with this email, "
        "end its sessions and revoke its API tokens and feed links; the person sets up a "
        "new app at their next sign-in."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        try:
            user, ended = two_factor_reset_by_operator(email=email)
        except NotFound as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"The two-factor sign-in of {user.email} was reset and their sessions ended; "
            f"{ended['api_tokens_revoked']} API tokens and {ended['feed_links_revoked']} "
            "feed links were revoked."
        )
