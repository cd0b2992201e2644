"""Factories: build the world a test needs, through the models (services are what we test)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from accounts.models import Membership, Role, User, Workspace
from planner.models import Campaign, Channel, ChannelKind, Objective, Post, PostVersion, Variant

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    role = Role.CONTENT_MANAGER


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    workspace = factory.SubFactory(WorkspaceFactory)
    kind = ChannelKind.MASTODON
    name = factory.Sequence(lambda n: f"Channel {n}")
    handle = "@maillon@example.test"
    base_url = "http://127.0.0.1:9"
    credentials = factory.LazyFunction(lambda: {"access_token": "secret-token"})


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    workspace = factory.SubFactory(WorkspaceFactory)
    title = factory.Sequence(lambda n: f"Objective {n}")
    kpi = "posts_published"
    target = 30
    period_start = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    period_end = factory.LazyAttribute(lambda o: o.period_start + dt.timedelta(days=89))


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + dt.timedelta(days=30))


class PostFactory(factory.django.DjangoModelFactory):
    """A draft with one channel and its first version, as post_create leaves it."""

    class Meta:
        model = Post
        skip_postgeneration_save = True

    workspace = factory.SubFactory(WorkspaceFactory)
    author = factory.SubFactory(UserFactory)
    body = "Spring is here: our new collection is out."
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=2))

    @factory.post_generation
    def channels(obj, create, extracted, **kwargs):
        if not create:
            return
        channels = extracted if extracted is not None else [ChannelFactory(workspace=obj.workspace)]
        for channel in channels:
            Variant.objects.create(post=obj, channel=channel, text="")
        PostVersion.objects.create(
            post=obj,
            number=obj.version,
            title=obj.title,
            body=obj.body,
            variants={str(c.pk): "" for c in channels},
            author=obj.author,
        )
