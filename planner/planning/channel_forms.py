"""Connecting a channel: what each network asks for, where to find it, and the form.

The fields follow each adapter's ``credential_fields``; this module adds what a person
needs to fill them (labels, where the token is in the network's settings). Secrets are
password inputs that never render a value, not even the one just typed: a page with an
error asks for them again. The form only shapes input; ``channel_save`` decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from planner import outbound
from planner.channels.registry import adapter_for
from planner.models import Channel, ChannelKind


@dataclass(frozen=True)
class Credential:
    label: str | Promise
    help: str | Promise = ""
    secret: bool = True
    required: bool = True
    address: bool = False  # a web address: https, or http to this machine only
    min_length: int = 0


_API_ADDRESS = _("API address")
_ACCOUNT_HELP = _("The account as people know it. Shown in the calendar.")


@dataclass(frozen=True)
class Network:
    kind: str
    summary: str | Promise  # one sentence on the "choose a network" page
    where: str | Promise  # where the token or password is, in the network's settings
    credentials: dict[str, Credential]
    base_url: str = "optional"  # "required", "optional" or "none" (webhooks)
    base_url_label: str | Promise = _API_ADDRESS
    base_url_help: str | Promise = ""
    handle_help: str | Promise = _ACCOUNT_HELP

    @property
    def label(self) -> str:
        return ChannelKind(self.kind).label

    @property
    def default_base_url(self) -> str:
        return adapter_for(self.kind).default_base_url


_TOKEN = _("Access token")
# A stored secret is never sent to a new address (``channel_save``): said beside each.
_MOVED_HELP = {
    False: _("If you change the server address, type it again."),
    True: _("If you change the webhook address, type it again."),
}
_WEBHOOK_HELP = _("A secret: anyone who has this address can post there.")
_META_VERSION_HELP = _("Leave empty for Meta's Graph API. Only for a test server.")

NETWORKS: dict[str, Network] = {
    n.kind: n
    for n in [
        Network(
            kind="mastodon",
            summary=_("A Mastodon account on any server, with images and video."),
            where=_(
                "On your Mastodon server, open Preferences → Development → New application. "
                "Give it the scopes read, write:statuses and write:media, save it, then open it "
                "and copy “Your access token”."
            ),
            credentials={"access_token": Credential(_TOKEN)},
            base_url="required",
            base_url_label=_("Server address"),
            base_url_help=_("Your Mastodon server, for example https://mastodon.social."),
            handle_help=_("For example @acme@mastodon.social. Shown in the calendar."),
        ),
        Network(
            kind="bluesky",
            summary=_("A Bluesky account, connected with an app password."),
            where=_(
                "In Bluesky, open Settings → Privacy and security → App passwords and add one "
                "named Maillon. Never enter the account's main password here."
            ),
            credentials={
                "identifier": Credential(
                    _("Handle or email"),
                    _("For example acme.bsky.social, or the account's email address."),
                    secret=False,
                ),
                "app_password": Credential(
                    _("App password"), _("It looks like xxxx-xxxx-xxxx-xxxx.")
                ),
            },
            base_url_label=_("Server (PDS) address"),
            base_url_help=_("Leave empty for an account hosted by Bluesky."),
            handle_help=_("For example @acme.bsky.social. Shown in the calendar."),
        ),
        Network(
            kind="x",
            summary=_("An X account, through the X API v2 with an OAuth 2.0 user token."),
            where=_(
                "Without X's sign-in (Connect with X), paste the tokens here. "
                "In the X developer portal, open your app's “User authentication settings”, "
                "turn on OAuth 2.0 and copy the Client ID (and the Client Secret of a "
                "confidential app). Then authorise the app for the account with the scopes "
                "tweet.read, tweet.write, users.read, media.write and offline.access, and "
                "paste the access and refresh tokens X returns. Maillon renews the access "
                "token, which lasts two hours, with the refresh token."
            ),
            credentials={
                "client_id": Credential(_("Client ID"), secret=False),
                "client_secret": Credential(
                    _("Client secret"),
                    _("Only for a confidential app; a public app has none."),
                    required=False,
                ),
                "access_token": Credential(_TOKEN),
                "refresh_token": Credential(
                    _("Refresh token"), _("Given when the offline.access scope is granted.")
                ),
            },
            base_url_help=_("Leave empty for X's API. Only for a test server."),
            handle_help=_("For example @acme. Shown in the calendar."),
        ),
        Network(
            kind="linkedin",
            summary=_("A LinkedIn member or company page, text posts for now."),
            where=_(
                "In the LinkedIn Developer Portal, create an app with the product “Share on "
                "LinkedIn” (or the Community Management API, to post as a page), then open "
                "Docs and tools → OAuth Token Tools → Create token. A token lasts about 60 "
                "days; LinkedIn gives refresh tokens to approved partners only."
            ),
            credentials={
                "author_urn": Credential(
                    _("Author URN"),
                    _("urn:li:person:… to post as a member, urn:li:organization:… as a page."),
                    secret=False,
                ),
                "access_token": Credential(_TOKEN),
                "refresh_token": Credential(
                    _("Refresh token"), _("Only if LinkedIn gave your app one."), required=False
                ),
                "client_id": Credential(
                    _("Client ID"), _("Needed with a refresh token."), secret=False, required=False
                ),
                "client_secret": Credential(
                    _("Client secret"), _("Needed with a refresh token."), required=False
                ),
            },
            base_url_help=_("Leave empty for LinkedIn's API. Only for a test server."),
        ),
        Network(
            kind="facebook",
            summary=_("A Facebook Page, text and links for now."),
            where=_(
                "In Meta for Developers, open the Graph API Explorer with your app, grant "
                "pages_show_list, pages_read_engagement and pages_manage_posts, generate a "
                "user token, then request me/accounts: it lists each Page you manage with its "
                "id and its Page access token."
            ),
            credentials={
                "page_id": Credential(_("Page ID"), secret=False),
                "page_access_token": Credential(_("Page access token")),
            },
            base_url_help=_META_VERSION_HELP,
        ),
        Network(
            kind="instagram",
            summary=_("An Instagram professional account linked to a Facebook Page."),
            where=_(
                "Instagram is reached through the Facebook Page it is linked to. In the Graph "
                "API Explorer, grant instagram_basic and instagram_content_publish, then "
                "request {page-id}?fields=instagram_business_account: its id is the Instagram "
                "account ID. The access token is that Page's access token (from me/accounts)."
            ),
            credentials={
                "ig_user_id": Credential(_("Instagram account ID"), secret=False),
                "access_token": Credential(_TOKEN),
            },
            base_url_help=_META_VERSION_HELP,
        ),
        Network(
            kind="threads",
            summary=_("A Threads profile, text posts for now."),
            where=_(
                "In Meta for Developers, add the Threads use case to your app with "
                "threads_basic and threads_content_publish, and generate a token for the "
                "profile in the use case's settings. The Threads user ID is the id that "
                "/me answers with that token."
            ),
            credentials={
                "threads_user_id": Credential(_("Threads user ID"), secret=False),
                "access_token": Credential(_TOKEN),
            },
            base_url_help=_("Leave empty for the Threads API. Only for a test server."),
        ),
        Network(
            kind="slack",
            summary=_("A Slack channel, through an incoming webhook (text only)."),
            where=_(
                "At api.slack.com/apps, open or create your app, turn on Incoming Webhooks, "
                "choose “Add New Webhook to Workspace”, pick the channel and copy the webhook "
                "URL (https://hooks.slack.com/services/…)."
            ),
            credentials={"webhook_url": Credential(_("Webhook URL"), _WEBHOOK_HELP, address=True)},
            base_url="none",
        ),
        Network(
            kind="discord",
            summary=_("A Discord channel, through a webhook (text, images and video)."),
            where=_(
                "In Discord, open Server Settings → Integrations → Webhooks → New Webhook, "
                "choose the channel, then “Copy Webhook URL”."
            ),
            credentials={"webhook_url": Credential(_("Webhook URL"), _WEBHOOK_HELP, address=True)},
            base_url="none",
        ),
        Network(
            kind="teams",
            summary=_("A Microsoft Teams channel, through a Workflows webhook (text only)."),
            where=_(
                "In Teams, open the channel's ⋯ menu → Workflows, choose “Post to a channel "
                "when a webhook request is received”, finish it and copy the address it shows. "
                "The old Office 365 connector webhooks no longer work."
            ),
            credentials={"webhook_url": Credential(_("Webhook URL"), _WEBHOOK_HELP, address=True)},
            base_url="none",
        ),
        Network(
            kind="webhook",
            summary=_("Your own server: each post is sent as signed JSON."),
            where=_(
                "Enter your receiver's address and a long random secret that it knows too. "
                "Each delivery carries an HMAC-SHA256 signature in X-Maillon-Signature and a "
                "delivery id in X-Maillon-Delivery: the receiver checks the first and ignores "
                "an id it has already accepted."
            ),
            credentials={
                "webhook_url": Credential(_("Receiver address"), _WEBHOOK_HELP, address=True),
                "signing_secret": Credential(
                    _("Signing secret"), _("At least 32 characters."), min_length=32
                ),
            },
            base_url="none",
        ),
    ]
}


def address_problem(value: str) -> str:
    """Why a web address may not carry credentials, or '' when it may."""
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        return str(_("Enter a valid web address."))
    if not url.host:
        return str(_("Enter a valid web address."))
    if outbound.refused_literal(value):
        return str(outbound.refusal_message())
    if url.scheme == "https" or (url.scheme == "http" and outbound.plain_http_allowed(url.host)):
        return ""
    if outbound.loopback_allowed():
        return str(_("The address must start with https:// (plain http only to this machine)."))
    return str(_("The address must start with https://."))


class ChannelForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("How the team calls this channel, for example “Acme on Mastodon”."),
    )
    handle = forms.CharField(label=_("Account"), max_length=200, required=False)
    base_url = forms.URLField(label=_("API address"), required=False, assume_scheme="https")

    def __init__(self, *args, network: Network, channel: Channel | None = None, **kwargs):
        self.network = network
        self.channel = channel
        stored = dict(channel.credentials or {}) if channel else {}
        initial = kwargs.pop("initial", {})
        if channel is not None:
            initial = {
                "name": channel.name,
                "handle": channel.handle,
                "base_url": channel.base_url,
                **{k: stored.get(k, "") for k, c in network.credentials.items() if not c.secret},
                **initial,
            }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["handle"].help_text = network.handle_help
        self._shape_base_url()
        for key, spec in network.credentials.items():
            self.fields[key] = self._credential_field(spec, bool(stored.get(key)))

    def _shape_base_url(self) -> None:
        if self.network.base_url == "none":
            del self.fields["base_url"]
            return
        base = self.fields["base_url"]
        base.label = self.network.base_url_label
        base.required = self.network.base_url == "required"
        base.help_text = self.network.base_url_help
        if self.network.default_base_url:
            base.widget.attrs["placeholder"] = self.network.default_base_url
        else:
            base.widget.attrs["placeholder"] = "https://"

    def _credential_field(self, spec: Credential, is_stored: bool) -> forms.Field:
        help_parts = [str(spec.help)] if spec.help else []
        if spec.secret:
            widget = forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "new-password", "spellcheck": "false"}
            )
            if is_stored:
                help_parts.append(str(_("A value is stored: leave blank to keep the current one.")))
                if not spec.address:
                    help_parts.append(str(_MOVED_HELP[self.network.base_url == "none"]))
        else:
            widget = forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})
        if not spec.required:
            help_parts.append(str(_("Optional.")))
        return forms.CharField(
            label=spec.label,
            # A stored value may be left blank: it is kept.
            required=spec.required and not is_stored,
            error_messages={"required": _("This is needed to connect the channel.")},
            max_length=4000,
            strip=True,
            widget=widget,
            help_text=" ".join(help_parts),
        )

    def clean_base_url(self) -> str:
        value = self.cleaned_data.get("base_url") or ""
        if value and (problem := address_problem(value)):
            raise forms.ValidationError(problem)
        return value

    def clean(self):
        cleaned = super().clean()
        for key, spec in self.network.credentials.items():
            value = cleaned.get(key) or ""
            if not value:
                continue
            if spec.address and (problem := address_problem(value)):
                self.add_error(key, problem)
            elif len(value) < spec.min_length:
                self.add_error(
                    key,
                    _("Use at least %(count)s characters.") % {"count": spec.min_length},
                )
        return cleaned

    def credentials(self) -> dict[str, str]:
        """What was typed; an empty value keeps the stored one (``channel_save``)."""
        return {key: self.cleaned_data.get(key) or "" for key in self.network.credentials}

    def secret_fields(self):
        return [self[k] for k, spec in self.network.credentials.items() if spec.secret]

    def plain_credential_fields(self):
        return [self[k] for k, spec in self.network.credentials.items() if not spec.secret]

    def secrets_were_typed(self) -> bool:
        """After an error: secrets come back empty, so say they must be typed again."""
        return self.is_bound and any(
            self.data.get(k) for k, spec in self.network.credentials.items() if spec.secret
        )
