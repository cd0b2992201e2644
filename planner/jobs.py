"""Queue a Celery task by name once the transaction commits.

Services never import ``planner.tasks`` (the tasks call the services: importing them
back would close a circle). They name the task here instead; the app config imports
``planner.tasks`` so every task is in the current app's registry, in web processes too.
The registered task's ``apply_async`` is used, not ``send_task``, so eager mode still
runs it in place."""

from __future__ import annotations

from celery import current_app
from django.db import transaction

# The tasks' names, as Celery registers them (routes and beat use the same names).
CHAT_ANNOUNCE = "planner.tasks.chat_announce"
KEY_DATES_IMPORT = "planner.tasks.key_dates_import"
RETRACT_PUBLICATION = "planner.tasks.retract_publication"


def after_commit(name: str, *args, robust: bool = False, **options) -> None:
    """Queue the task ``name`` with ``args`` when the current transaction commits (at
    once outside one). ``options`` go with the message (``apply_async``'s: time limits
    read from the settings as it is sent, say). ``robust``: a broker that cannot be
    reached is logged and the committed change still answers its request."""

    def queue() -> None:
        current_app.tasks[name].apply_async(args, **options)

    transaction.on_commit(queue, robust=robust)
