"""/healthz: a scheduler or worker that silently stopped turns it red. The public learns
only up or down; which part failed, its errors and the host names are for a staff member
signed in with their second factor, or a monitor holding HEALTH_TOKEN."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import Client

from calendar_project import health
from tests.factories import UserFactory
from tests.two_factor import give_authenticator

BASE_DIR = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db
TOKEN = "health-token-for-the-monitor-0123456789abcdef"


@pytest.fixture
def no_marks():
    health.client().delete(health.BEAT_KEY, health.WORKER_KEY)
    yield
    health.client().delete(health.BEAT_KEY, health.WORKER_KEY)


@pytest.fixture
def fresh_marks(no_marks):
    health.mark(health.BEAT_KEY, "beat-host.internal")
    health.mark(health.WORKER_KEY, "worker-host.internal")


@pytest.fixture
def staff(client):
    """A staff member signed in completely (password and second factor)."""
    user = UserFactory(email="ops@example.test", is_staff=True)
    give_authenticator(user)
    client.force_login(user)
    return client


@pytest.fixture
def with_token(settings):
    settings.HEALTH_TOKEN = TOKEN


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_the_public_learns_only_that_it_is_down(no_marks):
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "down"}


def test_the_public_learns_only_that_it_is_up(fresh_marks):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert b"host" not in response.content


def test_staff_signed_in_with_their_second_factor_see_each_part(staff, no_marks):
    response = staff.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["beat"] == {"ok": False, "error": "never seen", "stale_after_seconds": 90}
    assert body["checks"]["worker"]["ok"] is False


def test_staff_see_a_stale_worker_with_its_age_and_host(staff, no_marks):
    health.mark(health.BEAT_KEY, "host")
    health.client().set(health.WORKER_KEY, f"{time.time() - 600:.3f} worker-host")
    body = staff.get("/healthz").json()
    assert body["checks"]["beat"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["worker"]["error"].startswith("stale: last seen 6")
    assert body["checks"]["worker"]["host"] == "worker-host"


@pytest.mark.parametrize("who", ["a member who is not staff", "staff with a password only"])
def test_anyone_else_signed_in_gets_the_public_answer(who, fresh_marks):
    user = UserFactory(is_staff=who == "staff with a password only")
    give_authenticator(user)  # has a second factor, but this session has not given it
    plain = Client()
    plain.force_login(user)
    assert plain.get("/healthz").json() == {"status": "ok"}


def test_a_monitor_with_the_token_sees_each_part(with_token, fresh_marks):
    response = Client().get("/healthz", headers=bearer(TOKEN))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["worker"]["host"] == "worker-host.internal"


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", TOKEN])
def test_a_wrong_token_gets_the_public_answer(with_token, fresh_marks, header):
    response = Client().get("/healthz", headers={"Authorization": header})
    assert response.json() == {"status": "ok"}


def test_without_a_configured_token_no_token_opens_the_details(settings, fresh_marks):
    settings.HEALTH_TOKEN = ""
    assert Client().get("/healthz", headers=bearer("")).json() == {"status": "ok"}


def test_it_needs_no_login_and_is_never_cached(no_marks):
    response = Client().get("/healthz")
    assert "no-cache" in response["Cache-Control"]


@pytest.fixture
def beat_and_worker(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DATA_DIR": str(tmp_path)}
    celery = [sys.executable, "-m", "celery", "-A", "calendar_project"]
    processes = [
        subprocess.Popen(
            [*celery, "worker", "--concurrency=1", "--loglevel=WARNING", "-n", "health@%h"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [*celery, "beat", "--loglevel=WARNING"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    yield
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_it_turns_green_when_a_real_beat_and_worker_run(with_token, no_marks, beat_and_worker):
    client = Client(headers=bearer(TOKEN))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = client.get("/healthz")
        if response.status_code == 200:
            break
        time.sleep(0.5)
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["beat"]["age_seconds"] < 30
    assert body["checks"]["worker"]["age_seconds"] < 30
