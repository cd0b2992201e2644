"""A channel's connection as the pages show it (planner/connection/status.py)."""

from django import template

from planner.connection import status

register = template.Library()


@register.simple_tag
def connection_of(channel):
    return status.connection_status(channel)


@register.simple_tag
def connection_risks(post):
    return status.post_connection_risks(post)
