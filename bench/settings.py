"""The project's settings, as the environment makes them, with the bench's URLs on top."""

from calendar_project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
