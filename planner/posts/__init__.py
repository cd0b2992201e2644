"""Posts: writing and deciding.

Holds the post services (``writing``: drafts, content, details, the editor's save;
``actions``: submit, withdraw, cancel, retract, reopen, decide, comment; ``transitions``:
a person's and the engine's moves through the workflow table; ``checks``: what a post
must be; ``scheduling``: its time and planned deliveries), its media and uploads, the
networks' previews, @mentions, versions and their diffs, its history in words, and the
editor's form.

May import: approvals, notifications, channels and the shared modules of ``planner``.
"""
