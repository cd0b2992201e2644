"""Two admins choosing the same account at once get one channel; Mastodon accounts are
told apart by their server as well as their id."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from planner.connection import flow
from planner.errors import Conflict
from planner.models import Channel, PendingConnection

pytestmark = pytest.mark.django_db


def pending(cast, network: str, accounts: list[dict], base_url: str = "") -> PendingConnection:
    return PendingConnection.objects.create(
        user=cast.admin,
        workspace=cast.workspace,
        network=network,
        expires_at=timezone.now() + timedelta(minutes=10),
        secret={"accounts": accounts, "base_url": base_url},
    )


def account(kind: str, account_id: str, handle: str = "") -> dict:
    return {
        "kind": kind,
        "account_id": account_id,
        "name": handle or account_id,
        "handle": handle,
        "credentials": {"access_token": f"token-{account_id}"},
    }


def test_the_database_keeps_one_channel_per_account(cast):
    Channel.objects.create(workspace=cast.workspace, kind="x", name="One", account_id="42")
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.create(workspace=cast.workspace, kind="x", name="Two", account_id="42")
    # Channels with pasted tokens name no account: as many as the admin likes.
    Channel.objects.create(workspace=cast.workspace, kind="x", name="Pasted one")
    Channel.objects.create(workspace=cast.workspace, kind="x", name="Pasted two")


def test_mastodon_accounts_with_one_id_on_two_servers_are_two_accounts(cast):
    first = pending(
        cast, "mastodon", [account("mastodon", "1", "@a@one.example")], "https://one.example"
    )
    [made] = flow.choose(actor=cast.admin, pending=first, picks={0: "On one"})
    assert made.base_url == "https://one.example"
    second = pending(
        cast, "mastodon", [account("mastodon", "1", "@a@two.example")], "https://two.example"
    )
    [choice] = flow.choices(second)
    assert choice.existing is None  # not "already connected as On one"
    [also] = flow.choose(actor=cast.admin, pending=second, picks={0: "On two"})
    assert also.base_url == "https://two.example"
    # The same server's account, signed in again, is the one already connected.
    third = pending(
        cast, "mastodon", [account("mastodon", "1", "@a@one.example")], "https://one.example"
    )
    assert flow.choices(third)[0].existing == made


@pytest.mark.django_db(transaction=True)
def test_two_admins_choosing_one_account_at_once_make_one_channel(cast):
    ours = pending(cast, "x", [account("x", "42", "@acme")])
    inserted, release = threading.Event(), threading.Event()

    def the_other_admin() -> None:
        # The other admin's choice is being saved (inserted, not yet committed) while
        # ours passes the "already connected" check, which cannot see it yet.
        try:
            with transaction.atomic():
                Channel.objects.create(
                    workspace=cast.workspace, kind="x", name="Acme X", account_id="42"
                )
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=the_other_admin)
    other.start()
    assert inserted.wait(10)
    threading.Timer(1.0, release.set).start()  # ours waits on the key, then sees it taken
    with pytest.raises(Conflict) as refused:
        flow.choose(actor=cast.admin, pending=ours, picks={0: "Our X"})
    other.join(10)
    assert "Already connected as Acme X" in refused.value.message
    assert refused.value.fields == {"name-0": [refused.value.message]}
    assert list(Channel.objects.values_list("name", flat=True)) == ["Acme X"]
    assert PendingConnection.objects.filter(pk=ours.pk).exists()  # nothing used up
