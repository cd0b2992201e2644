"""Gunicorn's access log without the secrets some of our addresses carry: the request
line, the path, the query and the referrer are masked by ``calendar_project.redaction``."""

from __future__ import annotations

from gunicorn.glogging import Logger

from calendar_project.redaction import redact


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
