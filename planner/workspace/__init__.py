"""The workspace as its admins read it: the audit trail (``audit_trail``) and its filters
(``forms``).

May import: publishing, posts, approvals, notifications, channels and the shared modules
of ``planner``; not the other capabilities of its layer (planning, calendar_feeds,
analytics).
"""
