from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from api.services import NAME_MAX


class NewTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_MAX,
        help_text=_("What uses it, to recognise it later (for example “Reporting script”)."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a token that works until you revoke it."),
    )
    read_only = forms.BooleanField(
        label=_("Read only"),
        required=False,
        help_text=_("It can read, never change anything, whatever your role allows."),
    )
