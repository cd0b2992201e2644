"""Publishing: the engine and a person's hand on it.

Holds the engine (``engine``: claim due publications, send once, record the outcome,
reconcile), what adapters are handed (``outgoing``: sessions and outgoing posts), and
pause, resume, publish now, retry and retract (``control``).

May import: posts, approvals, notifications, channels and the shared modules of ``planner``.
"""
