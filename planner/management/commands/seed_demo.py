"""`manage.py seed_demo`: a "Demo" workspace that shows every part of Maillon.

Cairn Outdoor, a fictional maker of repairable backpacks, with one person per
role, two objectives, three campaigns (one sensitive, approved by marketing
then admin), a channel of every kind pointing at the local demo networks
(``calendar_project/demo_networks.py``, which `make run` starts), and about
sixty posts spread over the current month in every workflow state; three of
them are due a few minutes after the seed runs, so that a new user sees posts
go out. Key dates come from two imported calendars: public holidays (yearly) and this
month's trade fair and launch stream, so the calendar shows them.

Everything goes through the services, as any other write would. The one
exception is history: services refuse times in the past, so posts that
"already happened" are created at a future time, driven through the
workflow, then moved back in time with plain updates (see ``_write_history``).

The demo itself lives in ``planner.demo``: its cast as data (``cast``), the builder that
writes it through the services (``builder``) and months of past activity (``history``).

Idempotent: when the Demo workspace exists, nothing is done. ``--if-empty``
(used by ``make run`` on every start) does nothing when any workspace exists.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Role, Workspace
from planner.demo.builder import DemoBuilder
from planner.demo.cast import DEMO_PASSWORD, DEMO_SERVER, DEMO_SLUG, PEOPLE
from planner.errors import ServiceError


class Command(BaseCommand):
    help = "Create the Demo workspace (Cairn Outdoor) with a login per role. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if any workspace exists (used by `make run` on every start).",
        )
        parser.add_argument(
            "--networks-url",
            default=DEMO_SERVER,
            help="Where the demo networks listen (calendar_project/demo_networks.py); "
            f"default {DEMO_SERVER}.",
        )

    def handle(self, *args, if_empty: bool = False, networks_url: str = DEMO_SERVER, **options):
        if if_empty and Workspace.objects.exists():
            self.stdout.write("Workspaces exist already: the demo is not loaded.")
            return
        if Workspace.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write("The Demo workspace exists already: nothing to do.")
            return
        try:
            with transaction.atomic():
                summary = DemoBuilder(networks_url.rstrip("/")).build()
        except ServiceError as exc:
            raise CommandError(f"The demo could not be built: {exc}") from exc
        self._report(summary)

    def _report(self, summary: dict) -> None:
        self.stdout.write(self.style.SUCCESS("The Demo workspace is ready (Cairn Outdoor)."))
        states = ", ".join(f"{n} {state}" for state, n in summary["states"].items())
        self.stdout.write(
            f"  {summary['channels']} channels, {summary['campaigns']} campaigns, "
            f"{summary['objectives']} objectives, {summary['posts']} posts: {states}."
        )
        self.stdout.write(f"  Demo logins (password {DEMO_PASSWORD}):")
        for email, name, role, *_rest in PEOPLE.values():
            self.stdout.write(f"    {email:<28} {Role(role).label} ({name})")
        self.stdout.write(
            "  The workspace requires two-factor sign-in: the first sign-in as admin, marketing "
            "or content manager sets up an authenticator app (any TOTP app, or "
            "`oathtool --totp -b <secret>` with the secret the page shows)."
        )
        for email in summary["existing_users"]:
            self.stdout.write(f"  {email} existed already: its password was left unchanged.")
