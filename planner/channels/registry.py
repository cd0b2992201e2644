"""Which adapter speaks for which network."""

from __future__ import annotations

from importlib import import_module

from planner.channels.base import Adapter

# kind -> "module:Class"; modules are imported on first use.
ADAPTERS: dict[str, str] = {
    "mastodon": "planner.channels.mastodon:MastodonAdapter",
    "bluesky": "planner.channels.bluesky:BlueskyAdapter",
    "x": "planner.channels.x:XAdapter",
    "linkedin": "planner.channels.linkedin:LinkedInAdapter",
    "facebook": "planner.channels.meta:FacebookAdapter",
    "instagram": "planner.channels.meta:InstagramAdapter",
    "threads": "planner.channels.meta:ThreadsAdapter",
    "slack": "planner.channels.webhooks:SlackAdapter",
    "discord": "planner.channels.webhooks:DiscordAdapter",
    "teams": "planner.channels.webhooks:TeamsAdapter",
    "webhook": "planner.channels.webhooks:GenericWebhookAdapter",
}

_cache: dict[str, Adapter] = {}


def adapter_for(kind: str) -> Adapter:
    if kind not in _cache:
        module_name, _, class_name = ADAPTERS[kind].partition(":")
        _cache[kind] = getattr(import_module(module_name), class_name)()
    return _cache[kind]
