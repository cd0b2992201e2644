from django.core.management.base import BaseCommand

from accounts.models import Role
from accounts.permissions import Capability, role_can


class Command(BaseCommand):
    help = "Print the role x capability matrix as a Markdown table (the README's copy)."

    def handle(self, *args, **options):
        roles = list(Role)
        self.stdout.write("| capability | " + " | ".join(str(r.label) for r in roles) + " |")
        self.stdout.write("|---|" + "---|" * len(roles))
        for capability in Capability:
            marks = ["✔" if role_can(role, capability) else "—" for role in roles]
            self.stdout.write(f"| {capability.label} | " + " | ".join(marks) + " |")
