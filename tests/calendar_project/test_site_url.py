"""SITE_URL, the address networks fetch media from: a bad value stops start-up in words."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from calendar_project.env import Env

pytestmark = pytest.mark.domain


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("maillon.example", "must start with one of: http://, https://"),
        ("ftp://maillon.example", "must start with one of"),
        ("https://", "has no host"),
        ("https://maillon.example/?next=1", "no user, query"),
        ("https://me:secret@maillon.example", "no user, query"),
        ("https://maillon.example:port", "port that is not a number"),
    ],
)
def test_a_bad_site_url_is_refused_with_the_reason(value, words):
    with pytest.raises(ImproperlyConfigured, match="SITE_URL") as refused:
        Env({"SITE_URL": value}).site_url("SITE_URL", "http://127.0.0.1:8000")
    assert words in str(refused.value)


def test_a_good_site_url_loses_its_trailing_slash():
    env = Env({"SITE_URL": "https://maillon.example/app/"})
    assert env.site_url("SITE_URL", "") == "https://maillon.example/app"
    assert Env({}).site_url("SITE_URL", "http://127.0.0.1:8000") == "http://127.0.0.1:8000"
