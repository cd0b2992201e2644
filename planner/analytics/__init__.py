"""Analytics: what the posts earn and where they wait.

Holds the collection of the networks' counts (``collection``), the reports
(``reports``), the weak-link report (``weak_link``), the best times to post
(``best_times``) and the CSV downloads (``csv_export``).

May import: publishing, posts, approvals, notifications, channels and the shared modules
of ``planner``; not the other capabilities of its layer (planning, calendar_feeds,
workspace).
"""
