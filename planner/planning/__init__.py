"""Planning: what frames the posts.

Holds the services of objectives, campaigns (with cadence), channels and labels
(``services``), the calendar window as the calendar draws it (``calendar``) and the
channel connection forms (``channel_forms``).

May import: publishing, posts, approvals, notifications, channels and the shared modules
of ``planner``; not the other capabilities of its layer (calendar_feeds, analytics,
workspace).
"""
