from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlannerConfig(AppConfig):
    name = "planner"
    verbose_name = _("Planner")

    def ready(self) -> None:
        # The tasks are queued by name (planner.jobs): register them in every process.
        from planner import tasks  # noqa: F401
