"""Helpers for tests that sign in with a second factor: real devices, real codes."""

from __future__ import annotations

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import two_factor_state


def give_authenticator(user) -> TOTPDevice:
    """A confirmed authenticator app for the person (their existing one, if any)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)


def code_now(device: TOTPDevice, *, drift: int = 0) -> str:
    """The code the person's app shows now (``drift`` steps later or earlier)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + drift * device.step
    return f"{totp.token():0{device.digits}d}"


def unused_code(device: TOTPDevice) -> str:
    """A code the device accepts now: a code is refused twice within its 30 seconds, so
    after a sign-in in the same step, the next step's (accepted with the default
    tolerance of one step) is used."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return code_now(device, drift=1 if device.last_t >= totp.t() else 0)


class VerifiedClient(Client):
    """``force_login`` leaves the session as a complete sign-in does: whoever has or
    needs a second factor gets an authenticator, stored in the session the way
    ``django_otp.login`` stores it after a right code."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        has, needs = two_factor_state(user)
        if has or needs:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = give_authenticator(user).persistent_id
            session.save()
