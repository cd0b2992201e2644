"""Notifications: telling people.

Holds the one entry point ``notify`` (in-app and email, ``notify``), the inbox and the
email preferences as a person uses them (``inbox``), and the workspace's chat webhook
(``chat``: the message text, queued after commit through ``planner.jobs``).

May import: channels and the shared modules of ``planner``.
"""
