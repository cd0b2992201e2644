"""The settings the tests run with (pyproject.toml): the project's, in development mode.

DEBUG is off unless set (calendar_project/settings.py), so the test run turns development
on here, before the project's settings are read: this covers `make test`,
`python -m calendar_project.testrun` and plain `pytest` alike, and the processes the tests
start (Celery workers, beat) inherit it. A test that wants production says so with its
own environment (tests/calendar_project/test_settings.py, PRODUCTION). While a test runs,
pytest-django turns ``settings.DEBUG`` off again, as Django's own test runner does.
"""

import os

os.environ.setdefault("DEBUG", "true")
# The network stand-ins listen on 127.0.0.1 (planner/outbound.py refuses it by default).
os.environ.setdefault("OUTBOUND_ALLOW_LOOPBACK", "true")

from calendar_project.settings import *  # noqa: F403
