"""A password alone opens nothing: the password-only walk.

Signed in with the password only, as each person who needs (or has) a second factor,
every URL of the site (read from the URL resolver, so a new route is covered) and every
operation of the API (read from the schema) is tried, by GET and POST, with no
``Authorization`` header and (pages in turn, over the people) with ``Basic``, with a bogus
``Bearer`` and with a valid token of another person: each answer leads to the
second-factor pages (a redirect, or a 403 for the API, htmx and JSON), and no row of any
model changes."""

from __future__ import annotations

import base64
import re

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import translation

from accounts.models import Role
from api.services import api_token_create
from tests.api.test_isolation import body_for, operations
from tests.factories import PASSWORD, UserFactory
from tests.test_isolation import fill, full_world, world  # noqa: F401 - fixtures
from tests.two_factor import give_authenticator

pytestmark = pytest.mark.django_db

# What answers a session without its second factor: the pages to give it, and sign-out.
SECOND_FACTOR_PAGES = {
    "accounts:two_factor_verify",
    "accounts:two_factor_setup",
    "accounts:logout",
}
# What needs no session at all (each carries its own credential, or none is needed).
# planner:public_media: a file at its signed address, for the network fetching it (public
# by design; tests/planner/publishing/test_media_links.py proves nothing else opens).
NO_SESSION_NEEDED = {"healthz", "set_language", "planner:feed", "planner:public_media"}
# The sign-in pages, for visitors: a signed-in session is sent on from there.
SIGN_IN_PAGES = {
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:invitation_accept",
}

# Values for the parameters of regular-expression routes, by group name.
REGEX_SAMPLES = {"app_label": "accounts", "url": "nowhere/"}


def every_route():
    """(name, parameters, path) for every route of the site, admin included."""
    found = []

    def walk(patterns, namespace, parts):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner, [*parts, pattern.pattern])
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}{pattern.name}" if pattern.name else namespace
                found.append((name, [*parts, pattern.pattern]))

    walk(get_resolver().url_patterns, "", [])
    return found


def concrete_path(name, parts, objects) -> str:
    """A path that the route matches, its parameters pointing at the workspace's objects."""
    route = "".join(str(part) for part in parts)
    params = re.findall(r"(?<!\?P)<(?:\w+:)?(\w+)>", route)
    if name.startswith("admin:"):
        values = {param: _admin_value(route, param) for param in params}
    else:
        values = fill(name, params, objects)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: REGEX_SAMPLES[m[1]], route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m[1], 1)), path)
    return "/" + path.replace("^", "").replace("$", "")


def _admin_value(route: str, param: str):
    """The first row of the model an admin route is about (else 1)."""
    found = re.match(r"admin/(\w+)/(\w+)/", route)
    if param == "object_id" and found:
        model = apps.get_model(found[1], found[2])
        row = model._default_manager.order_by("pk").first()
        return row.pk if row else 1
    return 1


def every_row() -> dict:
    """Every row of every model, field by field (sessions aside: signing in makes one)."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
        if model is not Session
    }


def headers_of(other_token: str) -> dict[str, dict[str, str]]:
    credentials = base64.b64encode(f"x@acme.test:{PASSWORD}".encode()).decode()
    return {
        "no header": {},
        "Basic": {"Authorization": f"Basic {credentials}"},
        "bogus Bearer": {"Authorization": "Bearer mln_not-a-token-of-ours"},
        "another person's token": {"Authorization": f"Bearer {other_token}"},
    }


def refused_for_the_second_factor(response, person_has_one: bool) -> bool:
    target = "/accounts/two-factor/verify/" if person_has_one else "/accounts/two-factor/setup/"
    if response.status_code == 302:
        return response["Location"].startswith(target)
    if response.status_code == 403 and response.get("Content-Type") == "application/json":
        answer = response.json()  # the API's shape ("message"), or the pages' ("detail")
        return "second factor" in answer.get("message", answer.get("detail", ""))
    return False


def _make_person(cast, kind: str):
    if kind in Role.values:
        return cast.as_role(kind), False
    if kind == "viewer with an authenticator":
        return cast.viewer, True
    person = UserFactory(email=f"{kind}@example.test", is_staff=True)
    if kind == "superuser":
        person.is_superuser = True
        person.save()
    return person, False


PEOPLE = [
    Role.ADMIN,
    Role.MARKETING,
    Role.CONTENT_MANAGER,
    "staff",
    "superuser",
    "viewer with an authenticator",
]


def password_only(person, enrolled: bool) -> Client:
    if enrolled:
        give_authenticator(person)
    client = Client()
    response = client.post("/accounts/login/", {"username": person.email, "password": PASSWORD})
    assert response.status_code == 302
    assert "/accounts/two-factor/" in response["Location"]
    return client


@pytest.mark.parametrize("kind", PEOPLE)
def test_a_password_alone_opens_no_page(full_world, cast, other, kind):  # noqa: F811
    person, enrolled = _make_person(cast, kind)
    client = password_only(person, enrolled)
    _token, other_token = api_token_create(
        actor=other.admin, workspace=other.workspace, name="theirs"
    )
    before = every_row()
    walked = 0
    variants = list(headers_of(other_token).items())
    for number, (name, parts) in enumerate(every_route()):
        if name in SECOND_FACTOR_PAGES | NO_SESSION_NEEDED:
            continue
        path = concrete_path(name, parts, full_world)
        # Each route without a header, and with one of the three others in turn (by
        # route and person): over the six people each route meets each header twice.
        turn = 1 + (number + PEOPLE.index(kind)) % (len(variants) - 1)
        for label, headers in (variants[0], variants[turn]):
            for method in ("get", "post"):
                response = getattr(client, method)(path, headers=headers)
                walked += 1
                if name in SIGN_IN_PAGES and response.status_code != 302:
                    # Pages for visitors: never a way in (the rows below prove it).
                    continue
                assert refused_for_the_second_factor(response, enrolled), (
                    kind,
                    name,
                    path,
                    method,
                    label,
                    response.status_code,
                )
    translation.deactivate()  # a token request switches the thread's language
    assert every_row() == before, kind
    assert walked > 500


@pytest.mark.parametrize("kind", PEOPLE)
def test_a_password_alone_reaches_no_operation_of_the_api(full_world, cast, other, kind):  # noqa: F811
    from planner.models import Publication

    post = full_world["post"]
    api_world = {
        "posts": post,
        "campaigns": full_world["campaign"],
        "channels": full_world["channel"],
        "objectives": full_world["objective"],
        "key-dates": full_world["key_date"],
        "publications": Publication.objects.create(
            post=post, channel=full_world["channel"], due_at=post.scheduled_at
        ),
        "member": cast.content,
    }
    person, enrolled = _make_person(cast, kind)
    client = password_only(person, enrolled)
    _token, other_token = api_token_create(
        actor=other.admin, workspace=other.workspace, name="theirs"
    )
    before = every_row()
    for method, path in operations():
        resource = path.split("/")[3]
        url = path.replace("{id}", str(api_world[resource].pk)) if "{id}" in path else path
        for label, headers in headers_of(other_token).items():
            if method == "GET":
                response = client.get(url, headers=headers)
            else:
                response = getattr(client, method.lower())(
                    url,
                    data=body_for(api_world),
                    content_type="application/json",
                    headers=headers,
                )
            assert refused_for_the_second_factor(response, enrolled), (
                kind,
                method,
                path,
                label,
                response.status_code,
            )
    translation.deactivate()
    assert every_row() == before, kind


def test_the_walk_covers_every_route(full_world):  # noqa: F811
    """Each route's sample path leads back to that route: nothing is walked past."""
    routes = every_route()
    assert len(routes) > 300
    for name, parts in routes:
        path = concrete_path(name, parts, full_world)
        route = "".join(str(part) for part in parts)
        assert resolve(path).route.replace("^", "") == route.replace("^", ""), (name, path)
    names = {name for name, _parts in routes}
    assert {"planner:media_file", "api:tokens", "api:docs", "admin:index"} <= names


# --- what still works --------------------------------------------------------------------


def test_a_valid_token_of_ones_own_stands_in_for_the_second_factor(cast):
    _token, secret = api_token_create(actor=cast.admin, workspace=cast.workspace, name="CI")
    client = password_only(cast.admin, False)
    response = client.get("/api/v1/posts/", headers={"Authorization": f"Bearer {secret}"})
    translation.deactivate()
    assert response.status_code == 200


def test_a_token_without_a_session_works(cast):
    _token, secret = api_token_create(actor=cast.admin, workspace=cast.workspace, name="CI")
    response = Client().get("/api/v1/posts/", headers={"Authorization": f"Bearer {secret}"})
    translation.deactivate()
    assert response.status_code == 200


def test_the_api_refuses_an_unverified_session_even_without_the_middleware(cast, settings):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "accounts.two_factor_middleware.TwoFactorMiddleware"
    ]
    client = password_only(cast.admin, False)
    response = client.get("/api/v1/posts/")
    assert response.status_code == 401
    assert "second factor" in response.json()["message"]


def test_the_admin_refuses_an_unverified_staff_session_even_without_the_middleware(cast, settings):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "accounts.two_factor_middleware.TwoFactorMiddleware"
    ]
    person = UserFactory(email="staff@example.test", is_staff=True, is_superuser=True)
    client = password_only(person, False)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_verified_staff_session_reaches_the_admin(client):
    person = UserFactory(email="staff@example.test", is_staff=True)
    client.force_login(person)  # with its second factor
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_shows_no_device_secret(client, cast):
    from django_otp.plugins.otp_static.models import StaticDevice

    person = UserFactory(email="root@example.test", is_staff=True, is_superuser=True)
    client.force_login(person)
    device = give_authenticator(cast.marketing)
    codes = StaticDevice.objects.create(user=cast.marketing, name="Recovery codes")
    codes.token_set.create(token="abcd2345")
    for url in (
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_static_staticdevice_change", args=[codes.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert device.key.encode() not in page.content, url
        assert b"abcd2345" not in page.content, url
    assert client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
