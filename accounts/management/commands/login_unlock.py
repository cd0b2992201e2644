"""For a server operator: let a locked-out person try to sign in again (when no
workspace admin may do it from the Members page, see ``login_unlock`` in
``accounts.services_two_factor``)."""

from django.core.management.base import BaseCommand, CommandError

from accounts.services_two_factor import login_unlock_by_operator
from planner.errors import ServiceError


class Command(BaseCommand):
    help = "Forget the failed sign-ins of the account with this email, from every address."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        try:
            user = login_unlock_by_operator(email=email)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{user.email} can sign in again.")
