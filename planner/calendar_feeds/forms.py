"""The key dates page's forms. They only shape input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class KeyDateImportForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_(
            "For example “Public holidays (France)”. Importing again under the same name "
            "updates that source."
        ),
    )
    file = forms.FileField(
        label=_("An .ics file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".ics,text/calendar"}),
    )
    url = forms.CharField(
        label=_("or its address"),
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://…/holidays.ics"}),
        help_text=_("http://, https:// or webcal://; Refresh imports it again later."),
    )

    def clean(self):
        data = super().clean()
        has_file, has_url = bool(data.get("file")), bool((data.get("url") or "").strip())
        if has_file and has_url:
            raise forms.ValidationError(_("Choose a file or give an address, not both."))
        if not has_file and not has_url and "file" not in self.errors:
            raise forms.ValidationError(_("Choose an .ics file or give its address."))
        return data


class KeyDateAddForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    starts_on = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ends_on = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: one day."),
    )
