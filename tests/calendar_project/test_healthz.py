"""/healthz: a scheduler or worker that silently stopped turns it red."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from calendar_project import health

BASE_DIR = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture
def no_marks():
    health.client().delete(health.BEAT_KEY, health.WORKER_KEY)
    yield
    health.client().delete(health.BEAT_KEY, health.WORKER_KEY)


def test_it_answers_503_when_beat_and_worker_were_never_seen(client, no_marks):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["beat"] == {"ok": False, "error": "never seen", "stale_after_seconds": 90}
    assert body["checks"]["worker"]["ok"] is False


def test_it_reports_a_stale_worker_with_its_age(client, no_marks):
    health.mark(health.BEAT_KEY, "host")
    health.client().set(health.WORKER_KEY, f"{time.time() - 600:.3f} host")
    body = client.get("/healthz").json()
    assert body["checks"]["beat"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["worker"]["error"].startswith("stale: last seen 6")


def test_it_needs_no_login_and_is_never_cached(client, no_marks):
    response = client.get("/healthz")
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


def test_it_turns_green_when_a_real_beat_and_worker_run(client, no_marks, beat_and_worker):
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
