"""Channel credentials are encrypted at rest and survive a key rotation."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
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
