"""Gunicorn settings for Maillon (``gunicorn -c deploy/gunicorn.conf.py``).

Every value can be overridden from the environment, so the same file serves a small
VM and a large one.
"""

import os

wsgi_app = "calendar_project.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Pages are short database work: two workers per core is the usual start.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# A request slower than this is killed; the network adapters never run in the web.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Recycle workers now and then so a slow leak never becomes an outage.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
logger_class = "calendar_project.gunicorn_logging.RedactingLogger"
# Behind a proxy on the same host only (see README, Production): trust its
# X-Forwarded-* headers, nobody else's.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
