"""Channel credentials are encrypted at rest and survive a key rotation."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from planner.models import Channel
from tests.factories import ChannelFactory

pytestmark = [pytest.mark.django_db, pytest.mark.domain]


def raw_credentials(channel):
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM planner_channel WHERE id = %s", [channel.pk])
        return cursor.fetchone()[0]


def test_credentials_are_not_stored_in_clear(cast):
    channel = ChannelFactory(workspace=cast.workspace, credentials={"access_token": "s3cr3t-tok"})
    assert "s3cr3t-tok" not in raw_credentials(channel)
    assert Channel.objects.get(pk=channel.pk).credentials == {"access_token": "s3cr3t-tok"}


def test_a_rotated_key_still_reads_what_the_old_key_wrote(cast, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [old]
    channel = ChannelFactory(workspace=cast.workspace, credentials={"token": "abc"})
    settings.CREDENTIALS_KEYS = [new, old]
    assert Channel.objects.get(pk=channel.pk).credentials == {"token": "abc"}


def test_losing_the_key_is_a_clear_configuration_error(cast, settings):
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    channel = ChannelFactory(workspace=cast.workspace, credentials={"token": "abc"})
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="CREDENTIALS_KEY"):
        Channel.objects.get(pk=channel.pk)


def test_a_malformed_key_names_the_variable(cast, settings):
    settings.CREDENTIALS_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="CREDENTIALS_KEY"):
        ChannelFactory(workspace=cast.workspace)


# --- re-encrypting under the newest key -------------------------------------------------


def rotate(**kwargs) -> str:
    out = io.StringIO()
    call_command("rotate_credentials", stdout=out, **kwargs)
    return out.getvalue()


@pytest.fixture
def old_key(settings):
    key = Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [key]
    return key


def test_after_the_command_the_old_key_can_be_removed(cast, settings, old_key):
    channels = [
        ChannelFactory(workspace=cast.workspace, name=f"c{n}", credentials={"token": f"t{n}"})
        for n in range(5)
    ]
    new = Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [new, old_key]
    rotate(batch_size=2)
    settings.CREDENTIALS_KEYS = [new]
    for n, channel in enumerate(channels):
        assert Channel.objects.get(pk=channel.pk).credentials == {"token": f"t{n}"}


def test_without_the_command_removing_the_old_key_loses_the_credentials(cast, settings, old_key):
    channel = ChannelFactory(workspace=cast.workspace, credentials={"token": "abc"})
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured):
        Channel.objects.get(pk=channel.pk)


def test_the_command_counts_and_a_second_run_has_nothing_to_do(cast, settings, old_key):
    for n in range(3):
        ChannelFactory(workspace=cast.workspace, name=f"c{n}", credentials={"token": "x"})
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode(), old_key]
    ChannelFactory(workspace=cast.workspace, name="new", credentials={"token": "y"})
    first = rotate()
    assert "planner.Channel.credentials: 3 re-encrypted, 1 already under the newest key." in first
    raws = {c.pk: raw_credentials(c) for c in Channel.objects.all()}
    second = rotate()
    assert "0 re-encrypted, 4 already under the newest key." in second
    assert {c.pk: raw_credentials(c) for c in Channel.objects.all()} == raws


def test_the_command_never_writes_a_secret_in_clear(cast, settings, old_key):
    channel = ChannelFactory(workspace=cast.workspace, credentials={"token": "s3cr3t-tok"})
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode(), old_key]
    output = rotate()
    assert "s3cr3t-tok" not in output and "s3cr3t-tok" not in raw_credentials(channel)


def test_a_credential_no_key_reads_stops_the_command_with_its_place(cast, settings, old_key):
    ChannelFactory(workspace=cast.workspace, credentials={"token": "abc"})
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match=r"planner\.Channel\.credentials: .*CREDENTIALS_KEY"):
        rotate()
