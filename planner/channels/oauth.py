"""Bearer calls with the OAuth 2 refresh-token grant, shared by X and LinkedIn.

Access tokens are refreshed lazily: shortly before the stored ``expires_at``
(epoch seconds), or once after a 401. Refresh tokens may rotate (X's are
single-use), so the new pair is persisted through the session *before* it is
used: a crash after the refresh cannot lose the only valid refresh token. A
refresh answer without a refresh token keeps the stored one (the session
ignores empty values).

Two workers refreshing the same channel at the same moment would break a
rotating chain (the second one sends a refresh token the first just used up,
and the network revokes the grant). So a refresh runs inside the session's
``renewal_lock`` (the channel's row lock, planner/connection/credentials.py):
it re-reads the stored credentials there, and when another worker renewed the
access token meanwhile it takes that one instead of refreshing again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from planner.channels.base import (
    AdapterError,
    Outcome,
    Permanent,
    Session,
    Transient,
    Unknown,
    classify_response,
    error_text,
    send,
)

# Refresh when fewer than this many seconds of validity remain.
REFRESH_MARGIN = 300


@dataclass(frozen=True)
class TokenEndpoint:
    url: str
    # X wants a confidential client's id and secret as HTTP Basic; LinkedIn
    # takes them in the form body.
    basic_auth: bool


def expiring(credentials: Mapping[str, Any], now: float | None = None) -> bool:
    """True when the stored expiry is known and less than REFRESH_MARGIN away."""
    try:
        expires_at = float(credentials.get("expires_at") or 0)
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    return bool(expires_at) and expires_at - now < REFRESH_MARGIN


def refresh(session: Session, endpoint: TokenEndpoint) -> Transient | Permanent | None:
    """Exchange the refresh token for a new access token and store the result, one
    worker at a time per channel."""
    used = session.credentials.get("access_token")
    with session.renewal_lock() as stored:
        if stored.get("access_token") and stored.get("access_token") != used:
            # Another worker renewed it while this one waited: its token, not a second
            # refresh (which would reuse a single-use refresh token).
            session.credentials.update(stored)
            return None
        session.credentials.update(stored)
        return _refresh(session, endpoint)


def _refresh(session: Session, endpoint: TokenEndpoint) -> Transient | Permanent | None:
    credentials = session.credentials
    form = {"grant_type": "refresh_token", "refresh_token": credentials["refresh_token"]}
    url = endpoint.url
    if app := session.oauth_client:
        # Connected with the sign-in: the operator's app as configured now.
        client_id, secret, url = app.client_id, app.client_secret, app.token_url or url
    else:
        # Pasted tokens: the client id/secret pasted with them.
        client_id = str(credentials.get("client_id") or "")
        secret = str(credentials.get("client_secret") or "")
    auth = None
    if client_id:
        form["client_id"] = client_id
    if secret and endpoint.basic_auth:
        auth = (client_id, secret)
    elif secret:
        form["client_secret"] = secret
    # Refreshing publishes nothing, so every failure here is safe to retry.
    response = send(session, "POST", url, idempotent=True, data=form, auth=auth)
    if not isinstance(response, httpx.Response):
        return Transient(response.reason)
    if response.status_code in (400, 401, 403):  # invalid_grant, revoked, bad client
        reason = f"The access could not be renewed ({error_text(response)}): reconnect the channel."
        return Permanent(reason, reauth=True)
    if failed := classify_response(response, idempotent=True):
        return failed if isinstance(failed, Transient | Permanent) else Transient(failed.reason)
    body = json_object(response)
    if not body.get("access_token"):
        return Permanent("The token endpoint answered without an access token.", reauth=True)
    session.update_credentials(tokens_from(body))
    return None


def tokens_from(body: Mapping[str, Any], now: float | None = None) -> dict[str, Any]:
    """The credentials a token endpoint's answer gives: the access token, the refresh
    token when one came (empty keeps the stored one), and when each ends (epoch
    seconds; LinkedIn says how long its refresh token lives, X does not)."""
    now = time.time() if now is None else now
    expires_in = _seconds(body.get("expires_in"))
    refresh_expires_in = _seconds(body.get("refresh_token_expires_in"))
    return {
        "access_token": body.get("access_token") or "",
        "refresh_token": body.get("refresh_token") or "",
        # 0 means "unknown": refresh on the next 401 instead of before every call.
        "expires_at": int(now + expires_in) if expires_in else 0,
        "refresh_expires_at": int(now + refresh_expires_in) if refresh_expires_in else "",
    }


def _seconds(value: Any) -> float:
    try:
        return max(0.0, float(value or 0))
    except (TypeError, ValueError):
        return 0.0


def call(
    session: Session,
    endpoint: TokenEndpoint,
    method: str,
    url: str,
    *,
    idempotent: bool,
    headers: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response | Outcome:
    """One request with the stored bearer token, refreshing it first or after one 401.

    A request answered 401 was refused, not processed, so sending it again
    after a refresh cannot post twice. A second 401 is returned as is.
    """
    refreshable = bool(session.credentials.get("refresh_token"))
    if refreshable and expiring(session.credentials) and (failed := refresh(session, endpoint)):
        return failed
    response = _bearer(session, method, url, idempotent, headers, kwargs)
    if refreshable and isinstance(response, httpx.Response) and response.status_code == 401:
        if failed := refresh(session, endpoint):
            return failed
        response = _bearer(session, method, url, idempotent, headers, kwargs)
    return response


def checked(result: httpx.Response | Outcome) -> httpx.Response:
    """The response of a call other than publish; any failure raises AdapterError."""
    if isinstance(result, httpx.Response):
        failed = classify_response(result, idempotent=True)
    else:
        failed = result
    if isinstance(failed, Transient | Permanent | Unknown):
        raise AdapterError(failed)
    assert isinstance(result, httpx.Response)  # send() never answers Published
    return result


def json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _bearer(
    session: Session,
    method: str,
    url: str,
    idempotent: bool,
    headers: Mapping[str, str] | None,
    kwargs: dict[str, Any],
) -> httpx.Response | Outcome:
    token = session.credentials.get("access_token") or ""
    all_headers = {**(headers or {}), "Authorization": f"Bearer {token}"}
    return send(session, method, url, idempotent=idempotent, headers=all_headers, **kwargs)
