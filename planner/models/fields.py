from django.db import models


class HttpsURLField(models.URLField):
    """A URL field whose form adds https:// to a bare host name (Django 6's default)."""

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})
