import hmac
import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from calendar_project import health


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def _check_mark(key: str, stale_after: int, now: float) -> dict:
    try:
        found = health.last_mark(key)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": f"Redis unreachable: {type(exc).__name__}"}
    if found is None:
        return {"ok": False, "error": "never seen", "stale_after_seconds": stale_after}
    stamp, host = found
    age = max(0.0, now - stamp)
    result = {
        "ok": age <= stale_after,
        "last_seen": stamp,
        "age_seconds": round(age, 1),
        "stale_after_seconds": stale_after,
        "host": host,
    }
    if not result["ok"]:
        result["error"] = f"stale: last seen {round(age)} s ago"
    return result


def may_see_details(request) -> bool:
    """Which part failed, its errors and the host names are for a staff member signed in
    with their second factor, or a monitor sending ``Authorization: Bearer <HEALTH_TOKEN>``."""
    token = settings.HEALTH_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme == "Bearer" and hmac.compare_digest(given.encode(), token.encode()):
        return True
    user = request.user
    return bool(user.is_authenticated and user.is_staff and user.is_verified())


@never_cache
def healthz(request):
    """For load balancers and uptime monitors: 200 when everything runs, else 503.
    Everyone else learns only up or down."""
    now = time.time()
    checks = {"database": _check_database()}
    try:
        health.client().ping()
        checks["redis"] = {"ok": True}
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    checks["beat"] = _check_mark(health.BEAT_KEY, settings.HEALTH_BEAT_STALE_SECONDS, now)
    checks["worker"] = _check_mark(health.WORKER_KEY, settings.HEALTH_WORKER_STALE_SECONDS, now)
    healthy = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if healthy else "down"}
    if may_see_details(request):
        body["checks"] = checks
    return JsonResponse(body, status=200 if healthy else 503)
