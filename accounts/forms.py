import zoneinfo
from functools import cache
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from accounts.services_two_factor import user_password_reset


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _(
            "This email address and password do not match an account. "
            "Both are case-sensitive except the email."
        ),
        "inactive": _("This account is inactive; ask an admin of your workspace."),
    }


class SiteLinkPasswordResetForm(PasswordResetForm):
    """The reset link is built from SITE_URL, never from the request's Host header: a
    forged Host would otherwise put an attacker's address in front of a valid token."""

    def save(self, **kwargs):
        site = urlsplit(settings.SITE_URL)
        kwargs["domain_override"] = site.netloc
        kwargs["use_https"] = site.scheme == "https"
        kwargs["extra_email_context"] = {
            **(kwargs.get("extra_email_context") or {}),
            "site_url": settings.SITE_URL,
        }
        return super().save(**kwargs)


class EndingSetPasswordForm(SetPasswordForm):
    """The new password of a reset link, saved through the service that also ends the
    person's sessions, API tokens and feed links."""

    def save(self, commit=True):
        user_password_reset(user=self.user, password=self.cleaned_data["new_password1"])
        return self.user


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(
        z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/")
    )
    return [(name, name.replace("_", " ")) for name in names]


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), help_text=_("Every time in Maillon is shown in this zone.")
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()
