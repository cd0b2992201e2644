from __future__ import annotations

from django import template

from planner.analytics import weak_link

register = template.Library()


@register.filter
def hours(value: float) -> str:
    """A number of hours as people say it (``weak_link.duration``)."""
    return weak_link.duration(value)


@register.filter
def percent(value: float) -> str:
    return f"{value * 100:.0f} %"


@register.filter
def reads_weak_links(role: str | None) -> bool:
    """Whether the role may open the weak-link report (``weak_link.may_read``)."""
    return weak_link.may_read(role)
