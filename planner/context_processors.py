from __future__ import annotations

from functools import cache

from planner import selectors


def notifications(request) -> dict:
    """``unread_notifications``: the bell's count, one COUNT query when a template reads
    it (a callable, which the template language calls, once)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": cache(lambda: selectors.unread_notification_count(user))}
