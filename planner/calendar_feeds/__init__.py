"""Calendar feeds and key dates.

Holds iCalendar writing and reading (``ical``, ``ical_read``), what a private feed shows
(``content``) and its text (``text``), telling a calendar app its copy is still good
(``validators``), the feed links' services (``links``), key dates and their imports
(``key_dates``), fetching a calendar from an address (``safe_fetch``) and the key dates
page's forms (``forms``).

May import: publishing, posts, approvals, notifications, channels and the shared modules
of ``planner``; not the other capabilities of its layer (planning, analytics, workspace).
"""
