"""The demo workspace (``manage.py seed_demo``).

Holds the demo's cast as data (``cast``), the builder that writes it through the
services (``builder``) and months of past activity written in bulk (``history``, also
used by the reports' benchmark). The command only calls the builder.

May import every capability below the pages (it builds a workspace through all of them).
"""
