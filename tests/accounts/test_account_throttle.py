"""The slow path per account: failures from many addresses slow that account down, but
never lock the real person out (accounts/throttle.py)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone, translation

from tests.calendar_project.test_settings import run_manage
from tests.factories import PASSWORD, UserFactory
from tests.two_factor import code_now, give_authenticator

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/verify/"
HOME = "10.1.1.1"  # where the real person signs in


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_LOCKOUT_MINUTES = 15
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 10
    settings.LOGIN_ACCOUNT_MAX_PAUSE_SECONDS = 60
    settings.LOGIN_KNOWN_ADDRESS_DAYS = 30


@pytest.fixture
def clock():
    """Time stands still unless a test moves it (``clock.shift``)."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def attempt(email, password="wrong", address="10.0.0.1", **headers):  # noqa: S107 - a wrong one
    client = Client(REMOTE_ADDR=address, headers=headers)
    return client.post(LOGIN, {"username": email, "password": password})


_strangers = iter(range(1, 100_000))


def stranger() -> str:
    """An address never used before in this run."""
    n = next(_strangers)
    return f"203.0.{n // 250}.{n % 250 + 1}"


def fail_from_many(email, times=11):
    return [attempt(email, address=stranger()).status_code for _n in range(times)]


def fail_through_pauses(clock, email, times):
    """Failures checked one by one, each after waiting out the pause it meets."""
    for _n in range(times):
        response = attempt(email, address=stranger())
        if response.status_code == 429:
            clock.shift(dt.timedelta(seconds=int(response["Retry-After"])))
            response = attempt(email, address=stranger())
        assert response.status_code == 200


def signed_in(response) -> bool:
    return "_auth_user_id" in response.wsgi_request.session


def test_failures_from_eleven_addresses_slow_the_account_down(cast, clock):
    assert fail_from_many(cast.viewer.email) == [200] * 11  # each one checked, and wrong
    response = attempt(cast.viewer.email, password=PASSWORD, address=stranger())
    assert response.status_code == 429
    assert response["Retry-After"] == "2"
    assert not signed_in(response)
    page = response.content.decode()
    assert "from many places: try again in 2 seconds" in page
    assert "do not match" not in page


def test_a_wrong_password_during_the_pause_is_not_checked_either(cast, clock):
    fail_from_many(cast.viewer.email)
    response = attempt(cast.viewer.email, address=stranger())
    assert response.status_code == 429
    assert "do not match" not in response.content.decode()


def test_the_same_email_in_other_capitals_counts_as_one_account(cast, clock):
    fail_from_many(cast.viewer.email.upper())
    assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 429


def test_other_accounts_are_not_slowed_down(cast, clock):
    fail_from_many(cast.viewer.email)
    assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 429
    assert attempt(cast.content.email, password=PASSWORD, address=stranger()).status_code == 302


def test_an_address_where_the_person_signed_in_is_not_slowed_down(cast, clock):
    assert attempt(cast.viewer.email, password=PASSWORD, address=HOME).status_code == 302
    fail_from_many(cast.viewer.email)
    assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 429
    response = attempt(cast.viewer.email, password=PASSWORD, address=HOME)
    assert response.status_code == 302
    assert signed_in(response)


def test_a_known_address_is_still_locked_per_address_by_its_own_failures(cast, clock):
    attempt(cast.viewer.email, password=PASSWORD, address=HOME)
    fail_from_many(cast.viewer.email)
    assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 429
    for _n in range(5):
        attempt(cast.viewer.email, address=HOME)
    response = attempt(cast.viewer.email, password=PASSWORD, address=HOME)
    assert response.status_code == 429
    assert "locked for 15 minutes" in response.content.decode()


def test_an_address_is_known_only_for_the_days_set(cast, clock):
    attempt(cast.viewer.email, password=PASSWORD, address=HOME)
    clock.shift(dt.timedelta(days=31))
    fail_from_many(cast.viewer.email)
    assert attempt(cast.viewer.email, password=PASSWORD, address=HOME).status_code == 429


def test_a_password_without_the_second_factor_does_not_make_an_address_known(cast, clock):
    give_authenticator(cast.admin)
    first = attempt(cast.admin.email, password=PASSWORD, address=HOME)
    assert first["Location"].startswith(VERIFY)  # stops before the code
    fail_from_many(cast.admin.email)
    assert attempt(cast.admin.email, password=PASSWORD, address=HOME).status_code == 429


def test_a_sign_in_with_its_second_factor_makes_the_address_known(cast, clock):
    device = give_authenticator(cast.admin)
    client = Client(REMOTE_ADDR=HOME)
    client.post(LOGIN, {"username": cast.admin.email, "password": PASSWORD})
    assert client.post(VERIFY, {"token": code_now(device)}).status_code == 302
    fail_from_many(cast.admin.email)
    assert attempt(cast.admin.email, password=PASSWORD, address=stranger()).status_code == 429
    response = attempt(cast.admin.email, password=PASSWORD, address=HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)


def test_after_the_pause_one_attempt_is_checked(cast, clock):
    fail_from_many(cast.viewer.email)
    clock.shift(dt.timedelta(seconds=2))
    checked = attempt(cast.viewer.email, address=stranger())
    assert checked.status_code == 200
    assert "do not match" in checked.content.decode()
    assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 429


def test_a_right_password_after_the_pause_signs_in(cast, clock):
    fail_from_many(cast.viewer.email)
    assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 429
    clock.shift(dt.timedelta(seconds=2))
    response = attempt(cast.viewer.email, password=PASSWORD, address=stranger())
    assert response.status_code == 302
    assert signed_in(response)


def test_the_attempt_after_a_checked_one_waits_even_if_it_was_right(cast, clock):
    """The first attempt after a pause takes the check: a second one at the same moment
    waits for the next pause, whatever the first one's outcome."""
    give_authenticator(cast.admin)
    fail_from_many(cast.admin.email)
    clock.shift(dt.timedelta(seconds=2))
    first = attempt(cast.admin.email, password=PASSWORD, address=stranger())
    assert first["Location"].startswith(VERIFY)  # right, the code still to give
    second = attempt(cast.admin.email, password=PASSWORD, address=stranger())
    assert second.status_code == 429
    assert second["Retry-After"] == "2"


def test_each_further_failure_doubles_the_pause_up_to_the_cap(cast, clock):
    fail_from_many(cast.viewer.email)
    pauses = []
    for _n in range(8):
        refused = attempt(cast.viewer.email, address=stranger())
        assert refused.status_code == 429
        pause = int(refused["Retry-After"])
        pauses.append(pause)
        clock.shift(dt.timedelta(seconds=pause - 1))
        assert attempt(cast.viewer.email, address=stranger()).status_code == 429
        clock.shift(dt.timedelta(seconds=1))
        assert attempt(cast.viewer.email, address=stranger()).status_code == 200  # checked
    assert pauses == [2, 4, 8, 16, 32, 60, 60, 60]


def test_the_cap_is_a_setting(cast, clock, settings):
    settings.LOGIN_ACCOUNT_MAX_PAUSE_SECONDS = 5
    fail_from_many(cast.viewer.email)
    fail_through_pauses(clock, cast.viewer.email, 3)  # 2 s, 4 s, then 8 s capped to 5
    assert attempt(cast.viewer.email, address=stranger())["Retry-After"] == "5"


def test_a_refused_attempt_is_no_axes_failure(cast, clock):
    fail_from_many(cast.viewer.email)
    before = list(AccessAttempt.objects.values_list("ip_address", "failures_since_start"))
    for _n in range(3):
        assert attempt(cast.viewer.email, address="10.7.7.7").status_code == 429
    after = list(AccessAttempt.objects.values_list("ip_address", "failures_since_start"))
    assert after == before
    assert not AccessAttempt.objects.filter(ip_address="10.7.7.7").exists()


def test_refusals_from_one_address_never_lock_it(cast, clock):
    fail_from_many(cast.viewer.email)
    for _n in range(10):
        assert attempt(cast.viewer.email, address="10.7.7.7").status_code == 429
    clock.shift(dt.timedelta(seconds=2))
    assert attempt(cast.viewer.email, password=PASSWORD, address="10.7.7.7").status_code == 302


def test_the_failures_count_only_within_the_lockout_minutes(cast, clock):
    fail_from_many(cast.viewer.email, times=6)
    clock.shift(dt.timedelta(minutes=16))
    assert fail_from_many(cast.viewer.email, times=11) == [200] * 11  # the old 6 gone
    assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 429


def test_the_slow_path_ends_when_its_failures_are_old(cast, clock):
    fail_from_many(cast.viewer.email, times=16)
    assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 429
    clock.shift(dt.timedelta(minutes=16))
    fail_from_many(cast.viewer.email, times=1)
    assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 302


def test_a_complete_sign_in_clears_the_count(cast, clock):
    attempt(cast.viewer.email, password=PASSWORD, address=HOME)
    fail_from_many(cast.viewer.email)
    assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 429
    attempt(cast.viewer.email, password=PASSWORD, address=HOME)
    fail_from_many(cast.viewer.email, times=10)  # counted afresh: 10, not 21
    assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 302


def test_an_admins_unlock_clears_the_count(client, cast, clock):
    for _n in range(5):
        attempt(cast.viewer.email, address="10.8.8.8")  # locked there, so there is a lock
    fail_from_many(cast.viewer.email, times=6)
    assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 429
    client.force_login(cast.admin)
    membership = cast.viewer.memberships.get()
    client.post(f"/accounts/members/{membership.pk}/unlock/")
    assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 302


# --- wrong second-factor codes count the same ------------------------------------------


def test_wrong_codes_count_for_the_account(cast, clock):
    give_authenticator(cast.admin)
    fail_from_many(cast.admin.email, times=10)
    client = Client(REMOTE_ADDR=stranger())
    client.post(LOGIN, {"username": cast.admin.email, "password": PASSWORD})
    assert client.post(VERIFY, {"token": "000000"}).status_code == 400
    assert attempt(cast.admin.email, password=PASSWORD, address=stranger()).status_code == 429


# --- every page that checks a password ---------------------------------------------------


def test_the_django_admin_has_no_password_form_of_its_own(cast, clock):
    staff = UserFactory(email="root@example.test", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR=stranger())
    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session


def test_the_django_admin_refuses_a_signed_in_person_without_access(client, cast):
    client.force_login(cast.viewer)
    assert client.get("/admin/login/").status_code == 403


# --- the page, the JSON, the settings ---------------------------------------------------


def test_the_page_is_in_french(cast, clock):
    fail_from_many(cast.viewer.email)
    with translation.override("en"):  # the language a request activates stays in the thread
        response = attempt(
            cast.viewer.email, password=PASSWORD, address=stranger(), **{"Accept-Language": "fr"}
        )
    assert response.status_code == 429
    page = response.content.decode()
    assert "Trop de tentatives de connexion sur ce compte" in page
    assert "réessayez dans 2 secondes" in page


def test_a_json_client_gets_the_pause_as_json(cast, clock):
    fail_from_many(cast.viewer.email)
    response = attempt(
        cast.viewer.email, password=PASSWORD, address=stranger(), Accept="application/json"
    )
    assert response.status_code == 429
    assert response["Retry-After"] == "2"
    assert response.json()["retry_after"] == 2
    assert "try again in 2 seconds" in response.json()["detail"]


def test_without_redis_sign_in_still_works_and_says_so_in_the_log(cast, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    with caplog.at_level(logging.ERROR, logger="accounts.throttle"):
        assert attempt(cast.viewer.email, address=stranger()).status_code == 200
        assert attempt(cast.viewer.email, password=PASSWORD, address=stranger()).status_code == 302
    assert "Sign-in slow path skipped" in caplog.text


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("LOGIN_ACCOUNT_FAILURE_LIMIT", "0", "LOGIN_ACCOUNT_FAILURE_LIMIT=0 must be at least 1"),
        (
            "LOGIN_ACCOUNT_MAX_PAUSE_SECONDS",
            "1",
            "LOGIN_ACCOUNT_MAX_PAUSE_SECONDS=1 must be at least 2",
        ),
        (
            "LOGIN_KNOWN_ADDRESS_DAYS",
            "a month",
            "LOGIN_KNOWN_ADDRESS_DAYS='a month' is not a whole",
        ),
    ],
)
def test_a_bad_setting_stops_the_start_naming_the_variable(name, value, says):
    result = run_manage("check", DEBUG="true", **{name: value})
    assert result.returncode != 0
    assert says in result.stderr
