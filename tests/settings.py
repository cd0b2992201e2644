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
# Under pytest-xdist each test process gets its own Redis database (the queue the tests'
# Celery workers read, the marks they leave), as pytest-django gives each its own test
# database; the processes a test starts inherit it (and the mark that it is done).
worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if worker.startswith("gw") and os.environ.get("REDIS_URL") and not os.environ.get("XDIST_REDIS"):
    base, _, db = os.environ["REDIS_URL"].rpartition("/")
    os.environ["REDIS_URL"] = f"{base}/{int(db or 0) - int(worker[2:]) - 1}"
    os.environ["XDIST_REDIS"] = "1"

from calendar_project.settings import *  # noqa: E402, F403
