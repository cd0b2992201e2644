from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from planner.crypto import EncryptedJSONField


class PendingConnection(models.Model):
    """One click on Connect or Reconnect, until its channels are made (then deleted).

    Bound to the admin and the workspace that started it, and to their browser session
    (the session keeps the ids it started). ``state_digest`` is the SHA-256 of the
    ``state`` sent to the network, cleared once the network came back (one use).
    ``secret`` is encrypted: the PKCE verifier, then the tokens and the accounts the
    consent reaches. Nothing secret ever goes into the cookie or the session."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    network = models.CharField(max_length=20)  # an OAuthSpec.network
    # Reconnect: the channel that must come back with the same account.
    channel = models.ForeignKey(
        "planner.Channel", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    state_digest = models.CharField(max_length=64, blank=True, db_index=True)
    secret = EncryptedJSONField(default=dict, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.network} connection for {self.user_id}"
