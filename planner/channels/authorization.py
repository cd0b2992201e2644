"""What each network's sign-in (OAuth 2 authorization code) is, in one place.

An adapter that can be connected through its network's own sign-in declares an
``OAuthSpec`` (``Adapter.oauth``): where the consent page and the token endpoint are,
which scopes Maillon asks for and why (shown to the admin before they click Connect,
and in the README), whether the network takes PKCE, and how the client proves who it
is at the token endpoint. The connection flow (planner/connection/) and the refresh of
tokens (planner/channels/oauth.py) read the same addresses from here.

Several channel kinds may share one sign-in (Facebook Pages and the Instagram accounts
linked to them come from one Facebook Login): they share one spec, whose ``network``
names the operator's app (the settings' prefix) and the callback address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Scope:
    name: str
    why: str | Promise  # one sentence: what Maillon does with it


@dataclass(frozen=True)
class OAuthSpec:
    # The operator's app: "x", "linkedin", "meta" (Facebook and Instagram) or "threads".
    network: str
    label: str
    authorize_url: str
    token_url: str
    # Where the "who am I / which pages" calls go (the adapters' default API address).
    api_url: str
    scopes: tuple[Scope, ...]
    # The channel kinds one consent can add.
    kinds: tuple[str, ...]
    # The developer console, step by step, for an operator without an app yet.
    console: str | Promise
    # Where the operator creates the app.
    console_url: str
    # PKCE (S256): X requires it; the others do not take it for a web app.
    pkce: bool = False
    # "basic": client id and secret as HTTP Basic (X); "post": in the form body.
    client_auth: Literal["basic", "post"] = "post"
    # The real API still needs this before people outside the app's team can connect.
    review: str | Promise = ""
    scope_separator: str = " "
    # Every server of the network registers its own apps (Mastodon): the person types
    # their server, Maillon registers itself there, and the addresses above are paths
    # on that server. No operator setting.
    per_server: bool = False
    # Meta and Threads hand out a short-lived token (an hour): right after the consent it
    # is exchanged (GET, ``grant_type``) for a long-lived one at this address, relative to
    # ``api_url`` (a leading "/" is from the API's host: Threads' has no version).
    long_lived_path: str = ""
    long_lived_grant: str = ""

    @property
    def scope(self) -> str:
        return self.scope_separator.join(scope.name for scope in self.scopes)


X = OAuthSpec(
    network="x",
    label="X",
    authorize_url="https://x.com/i/oauth2/authorize",
    token_url="https://api.x.com/2/oauth2/token",  # noqa: S106 (an address)
    api_url="https://api.x.com",
    scopes=(
        Scope("tweet.read", _("Read the account's posts, to check whether a post went out.")),
        Scope("tweet.write", _("Publish and delete the posts you schedule.")),
        Scope("users.read", _("Know which account is connected, and its follower count.")),
        Scope("media.write", _("Upload the images and videos of your posts.")),
        Scope(
            "offline.access",
            _("Stay connected: renew the two-hour access without you signing in again."),
        ),
    ),
    kinds=("x",),
    pkce=True,
    client_auth="basic",
    console_url="https://developer.x.com/en/portal/dashboard",
    console=_(
        "In the X developer portal, create a project and an app. In the app's “User "
        "authentication settings”, turn on OAuth 2.0, choose “Web App” (a confidential "
        "client) with read and write permissions, and add the callback address below. "
        "Copy the OAuth 2.0 Client ID and Client Secret into X_CLIENT_ID and "
        "X_CLIENT_SECRET."
    ),
    review=_("Posting needs a paid X API access (pay per use); no app review."),
)

LINKEDIN = OAuthSpec(
    network="linkedin",
    label="LinkedIn",
    authorize_url="https://www.linkedin.com/oauth/v2/authorization",
    token_url="https://www.linkedin.com/oauth/v2/accessToken",  # noqa: S106 (an address)
    api_url="https://api.linkedin.com",
    scopes=(
        Scope("openid", _("Sign in with LinkedIn, to know which member is connecting.")),
        Scope("profile", _("Read the member's name, to name the channel.")),
        Scope("w_member_social", _("Publish posts as the member.")),
        Scope(
            "r_organization_admin",
            _("List the company pages the member administers, to offer them as channels."),
        ),
        Scope("w_organization_social", _("Publish posts as those company pages.")),
        Scope(
            "r_organization_social",
            _("Read the pages' posts, to check whether a post went out."),
        ),
    ),
    kinds=("linkedin",),
    console_url="https://www.linkedin.com/developers/apps",
    console=_(
        "In the LinkedIn Developer Portal, create an app linked to your company page. Under "
        "Products, add “Sign In with LinkedIn using OpenID Connect”, “Share on LinkedIn” "
        "and, to post as pages, the “Community Management API”. Under Auth, add the "
        "callback address below to “Authorized redirect URLs”, then copy the Client ID and "
        "Primary Client Secret into LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET."
    ),
    review=_(
        "The Community Management API (company pages) needs LinkedIn's approval of the app, "
        "after a review of the company; refresh tokens are for approved partners only."
    ),
)

META = OAuthSpec(
    network="meta",
    label="Facebook & Instagram",
    authorize_url="https://www.facebook.com/v25.0/dialog/oauth",
    token_url="https://graph.facebook.com/v25.0/oauth/access_token",  # noqa: S106 (an address)
    api_url="https://graph.facebook.com/v25.0",
    scopes=(
        Scope("pages_show_list", _("List the Facebook Pages you manage, to offer them.")),
        Scope("pages_manage_posts", _("Publish posts on the Pages you choose.")),
        Scope(
            "pages_read_engagement",
            _("Read the Pages' posts and their reactions, to check and count them."),
        ),
        Scope("business_management", _("Reach Pages owned through a business portfolio.")),
        Scope(
            "instagram_basic",
            _("Know the Instagram business accounts linked to those Pages."),
        ),
        Scope("instagram_content_publish", _("Publish on those Instagram accounts.")),
    ),
    kinds=("facebook", "instagram"),
    long_lived_path="oauth/access_token",
    long_lived_grant="fb_exchange_token",
    console_url="https://developers.facebook.com/apps/",
    console=_(
        "In Meta for Developers, create an app of type Business and add the product "
        "“Facebook Login for Business”. In its settings, add the callback address below to "
        "“Valid OAuth Redirect URIs”. Copy the App ID and App Secret (Settings → Basic) "
        "into META_APP_ID and META_APP_SECRET."
    ),
    review=_(
        "Until Meta's App Review grants these permissions (with Business Verification), "
        "only the app's own administrators, developers and testers can connect."
    ),
)

THREADS = OAuthSpec(
    network="threads",
    label="Threads",
    authorize_url="https://threads.net/oauth/authorize",
    token_url="https://graph.threads.net/oauth/access_token",  # noqa: S106 (an address)
    api_url="https://graph.threads.net/v1.0",
    scopes=(
        Scope("threads_basic", _("Know which Threads profile is connected.")),
        Scope("threads_content_publish", _("Publish the posts you schedule.")),
        Scope("threads_delete", _("Delete a published post when you ask to.")),
        Scope("threads_manage_insights", _("Read the posts' views and likes for reports.")),
    ),
    kinds=("threads",),
    long_lived_path="/access_token",
    long_lived_grant="th_exchange_token",
    console_url="https://developers.facebook.com/apps/",
    console=_(
        "In Meta for Developers, create an app with the use case “Access the Threads API”. "
        "In its settings, add the callback address below to “Redirect Callback URLs”. Copy "
        "the Threads App ID and Threads App Secret into THREADS_APP_ID and "
        "THREADS_APP_SECRET."
    ),
    review=_(
        "Until Meta's App Review grants these permissions, only the Threads profiles added "
        "as the app's testers can connect."
    ),
    scope_separator=",",
)

MASTODON = OAuthSpec(
    network="mastodon",
    label="Mastodon",
    authorize_url="/oauth/authorize",
    token_url="/oauth/token",  # noqa: S106 (a path)
    api_url="",
    scopes=(
        Scope("read", _("Read the account and its posts, to check whether a post went out.")),
        Scope("write:statuses", _("Publish and delete the posts you schedule.")),
        Scope("write:media", _("Upload the images and videos of your posts.")),
    ),
    kinds=("mastodon",),
    # Mastodon 4.3 and later check it; older servers ignore it.
    pkce=True,
    console_url="https://docs.joinmastodon.org/methods/apps/",
    console=_(
        "Nothing to set up: Maillon registers itself on each Mastodon server the first "
        "time someone connects an account there."
    ),
    per_server=True,
)

SPECS: dict[str, OAuthSpec] = {
    spec.network: spec for spec in (X, LINKEDIN, META, THREADS, MASTODON)
}


def spec_for_kind(kind: str) -> OAuthSpec | None:
    """The sign-in that connects channels of this kind, if Maillon has one for it."""
    return next((spec for spec in SPECS.values() if kind in spec.kinds), None)
