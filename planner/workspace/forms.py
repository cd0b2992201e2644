"""The workspace's forms: the audit trail's filters and the settings page. They only shape
input; ``audit_trail`` reads, the services (``accounts.services``) decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.forms import time_zone_choices
from accounts.models import ChatWebhookKind
from accounts.selectors import members_of
from accounts.services import SETTING_BOUNDS
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


def _bounded(key: str, **kwargs) -> forms.IntegerField:
    low, high = SETTING_BOUNDS[key]
    return forms.IntegerField(min_value=low, max_value=high, **kwargs)


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        help_text=gettext_lazy("The zone of the workspace's calendar, days and reports."),
    )
    late_cutoff_minutes = _bounded(
        "late_cutoff_minutes",
        label=gettext_lazy("Late cut-off (minutes)"),
        help_text=gettext_lazy(
            "A post whose time passed by more than this is not sent: it waits for a person."
        ),
    )
    four_eyes_relaxed = forms.BooleanField(
        label=gettext_lazy("Allow approving one's own posts"),
        required=False,
        help_text=gettext_lazy(
            "Off by default, and best left off: nobody approves a version they wrote or "
            "edited, so every post is read by a second person before it goes out. Turn it on "
            "only if the team is too small for that. The change is kept in the audit trail."
        ),
    )
    require_two_factor = forms.BooleanField(
        label=gettext_lazy("Require two-factor sign-in"),
        required=False,
        help_text=gettext_lazy(
            "On by default, and best left on: whoever can approve, publish, pause publishing "
            "or manage channels also types a code from an authenticator app at each sign-in, "
            "so a stolen password alone cannot publish in the workspace's name."
        ),
    )
    approval_reminder_hours = _bounded(
        "approval_reminder_hours",
        label=gettext_lazy("Remind approvers after (hours)"),
        help_text=gettext_lazy("A post waiting this long at a step reminds its approvers."),
    )
    at_risk_hours = _bounded(
        "at_risk_hours",
        label=gettext_lazy("At risk when due within (hours)"),
        help_text=gettext_lazy("A post due within this time and not approved is flagged at risk."),
    )
    notify_webhook_kind = forms.ChoiceField(
        label=gettext_lazy("Chat service"),
        required=False,
        choices=[("", gettext_lazy("None")), *ChatWebhookKind.choices],
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Approvals and failed deliveries are also posted to this chat channel."
        ),
    )
    notify_webhook_url = forms.CharField(
        label=gettext_lazy("Webhook address"),
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, stored_webhook: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()
        help_text = gettext(
            "A secret: anyone who has it can post in the channel. It is never shown again."
        )
        if stored_webhook:
            help_text += " " + gettext("Stored: %(hint)s. Leave empty to keep it.") % {
                "hint": stored_webhook
            }
        self.fields["notify_webhook_url"].help_text = help_text
