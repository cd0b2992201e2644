"""What a post must be before it is written: its time, channels, references and texts, and
what each network would refuse (checked at submission and at the last approval)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Workspace
from planner.channels.base import MediaFile
from planner.channels.registry import adapter_for
from planner.errors import Invalid
from planner.models import (
    Channel,
    Media,
    Post,
    Variant,
)

MAX_TEXT = 20_000


MAX_COMMENT = 5_000


def check_future(when: datetime | None) -> None:
    if when is None:
        return
    if timezone.is_naive(when):
        raise Invalid(
            _("The time must include its time zone."),
            fields={"scheduled_at": [_("The time must include its time zone.")]},
        )
    if when <= timezone.now():
        raise Invalid(
            _("Choose a time in the future."),
            fields={"scheduled_at": [_("Choose a time in the future.")]},
        )


def workspace_channels(workspace: Workspace, channel_ids: Iterable[int]) -> dict[int, Channel]:
    ids = set(channel_ids)
    channels = {c.pk: c for c in Channel.objects.filter(workspace=workspace, pk__in=ids)}
    if len(channels) != len(ids):
        raise Invalid(
            _("One of the channels does not exist in this workspace."),
            fields={"channels": [_("One of the channels does not exist in this workspace.")]},
        )
    inactive = [str(c) for c in channels.values() if not c.is_active]
    if inactive:
        raise Invalid(
            _("This channel is disabled: %(names)s.") % {"names": ", ".join(inactive)},
            fields={"channels": [_("Disabled channels cannot be used.")]},
        )
    return channels


def check_refs(workspace: Workspace, *, campaign=None, assignee=None, labels=()) -> None:
    if campaign is not None and campaign.workspace_id != workspace.pk:
        raise Invalid(
            _("This campaign does not exist in this workspace."),
            fields={"campaign": [_("This campaign does not exist in this workspace.")]},
        )
    if (
        assignee is not None
        and not Membership.objects.filter(workspace=workspace, user=assignee).exists()
    ):
        raise Invalid(
            _("The assignee is not a member of this workspace."),
            fields={"assignee": [_("The assignee is not a member of this workspace.")]},
        )
    if any(label.workspace_id != workspace.pk for label in labels):
        raise Invalid(_("One of the labels does not exist in this workspace."))


def check_text(title: str, body: str, variants: Mapping[int, str]) -> None:
    if len(title) > 200:
        raise Invalid(
            _("The title is limited to 200 characters."),
            fields={"title": [_("The title is limited to 200 characters.")]},
        )
    if len(body) > MAX_TEXT or any(len(t) > MAX_TEXT for t in variants.values()):
        raise Invalid(_("The text is too long."))


MAX_ALT_TEXT = 5_000


def check_alt_text(alt_text: str) -> None:
    if len(alt_text) > MAX_ALT_TEXT:
        message = _("Alternative text is limited to %(n)s characters.") % {"n": MAX_ALT_TEXT}
        raise Invalid(message, fields={"alt_text": [message]})


def media_file(media: Media, alt_text: str | None = None, url: str = "") -> MediaFile:
    """A stored file as the adapters see it: what its bytes and its probe said."""
    return MediaFile(
        path=media.file.name,
        mime_type=media.mime_type,
        size=media.size,
        alt_text=media.alt_text if alt_text is None else alt_text,
        url=url,
        width=media.width,
        height=media.height,
        duration=media.duration,
    )


def media_files(
    media: Iterable[Media], alt_texts: Mapping[int, str] | None = None
) -> tuple[MediaFile, ...]:
    """Media as the adapters see them; ``alt_texts`` overrides stored descriptions
    (what is being typed in the editor)."""
    alt_texts = alt_texts or {}
    return tuple(media_file(m, alt_texts.get(m.pk)) for m in media)


def chosen_media(all_media: Sequence[Media], selection: list | None) -> list[Media]:
    """A channel's media: its selection (ids, in its order) among the post's files, or all
    of them when it has none. Ids of files removed since are skipped."""
    if selection is None:
        return list(all_media)
    by_id = {m.pk: m for m in all_media}
    return [by_id[i] for i in dict.fromkeys(selection) if isinstance(i, int) and i in by_id]


def variant_media(post: Post, channel_id: int) -> list[Media]:
    """What the post carries on one channel (the one reading of a variant's media: the
    engine, the checks, the previews and the signed addresses all use it)."""
    selection = (
        Variant.objects.filter(post=post, channel_id=channel_id)
        .values_list("media", flat=True)
        .first()
    )
    return chosen_media(list(post.media.all()), selection)


def channel_errors(post: Post) -> list[str]:
    """Every reason a network would refuse this post as it stands, by channel (the media
    each channel carries, with everything their probe found: sizes, durations, shapes)."""
    all_media = list(post.media.all())
    errors = []
    for variant in post.variants.select_related("channel"):
        media = media_files(chosen_media(all_media, variant.media))
        for error in adapter_for(variant.channel.kind).validate(variant.effective_text, media):
            errors.append(f"{variant.channel.name}: {error}")
    return errors


def refuse_invalid_content(post: Post) -> None:
    errors = channel_errors(post)
    if errors:
        raise Invalid(
            _("The networks would refuse this post: %(errors)s") % {"errors": " ".join(errors)},
            fields={"channels": errors},
        )
