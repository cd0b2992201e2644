"""The post editor's form. It only shapes input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from planner.models import Campaign, Channel, Label


class PostForm(forms.Form):
    title = forms.CharField(label=_("Title (for the team)"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 6, "data-counter-source": "body"}),
        required=False,
        max_length=20_000,
    )
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"),
        queryset=Channel.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    scheduled_at = forms.DateTimeField(
        label=_("Time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In your time zone."),
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none(), required=False
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False
    )
    labels = forms.ModelMultipleChoiceField(
        label=_("Labels"), queryset=Label.objects.none(), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.fields["channels"].queryset = Channel.objects.filter(
            workspace=workspace, is_active=True
        ).order_by("name")
        self.fields["campaign"].queryset = Campaign.objects.filter(workspace=workspace)
        self.fields["assignee"].queryset = User.objects.filter(
            memberships__workspace=workspace
        ).order_by("email")
        self.fields["labels"].queryset = Label.objects.filter(workspace=workspace)
        for channel in self.fields["channels"].queryset:
            self.fields[f"variant_{channel.pk}"] = forms.CharField(
                label=_("Own text for %(channel)s (empty: the main text)") % {"channel": channel},
                widget=forms.Textarea(attrs={"rows": 3, "data-channel": channel.pk}),
                required=False,
                max_length=20_000,
            )

    def variants(self) -> dict[int, str]:
        return {
            channel.pk: self.cleaned_data.get(f"variant_{channel.pk}", "")
            for channel in self.cleaned_data.get("channels", [])
        }

    def variant_fields(self):
        return [
            (channel, self[f"variant_{channel.pk}"]) for channel in self.fields["channels"].queryset
        ]


def add_service_error(form: forms.Form, error) -> None:
    """Put a service's refusal on the fields it names, else at the top of the form."""
    placed = False
    for field, messages in error.fields.items():
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
