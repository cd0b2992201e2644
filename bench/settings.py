"""The project's settings, as the environment makes them, with the bench's URLs on top."""

from calendar_project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# Pages render without `collectstatic` (no manifest to read): the benches time the
# server's answers, never the static files.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
