"""Approvals: who must decide on a post, and who is told.

Holds the chain progress (``chain_progress``: which chain applies and where a version
stands in it), the chains' services (``chains``), the notices of each step (``notices``),
reminders and escalations (``reminders``), the review as the post's page shows it
(``review``), posts at risk (``risk``), the work queues (``queues``) and the navbar's
queue link (``queue_link``).

May import: notifications, channels and the shared modules of ``planner``.
"""
