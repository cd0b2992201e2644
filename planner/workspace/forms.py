"""The audit trail's filters. They only shape input; ``planner.workspace.audit_trail`` reads."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import members_of
from planner.workspace import audit_trail

SYSTEM = "system"


class AuditFilterForm(forms.Form):
    person = forms.ChoiceField(label=_("Person"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)
    post = forms.IntegerField(
        label=_("Post number"),
        required=False,
        min_value=1,
        help_text=_("The number in the post's address, as in /posts/42/."),
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        people = [
            (str(m.user_id), f"{m.user.display_name} ({m.user.email})")
            for m in members_of(workspace)
        ]
        self.fields["person"].choices = [
            ("", _("Everyone")),
            (SYSTEM, _("Maillon itself (engine, imports)")),
            *people,
        ]
        self.fields["action"].choices = audit_trail.action_choices(workspace)
        self.fields["campaign"].choices = [("", _("Every campaign"))] + [
            (str(c.pk), c.name) for c in audit_trail.campaigns_of(workspace)
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def filters(self) -> audit_trail.Filters:
        data = self.cleaned_data
        person = data.get("person") or ""
        return audit_trail.Filters(
            actor_id=int(person) if person.isdigit() else None,
            system_only=person == SYSTEM,
            post_id=data.get("post"),
            campaign_id=int(data["campaign"]) if data.get("campaign") else None,
            action=data.get("action") or "",
            since=data.get("since"),
            until=data.get("until"),
        )
