"""A post's images and videos: add, describe, reorder, remove.

Media are content. Each change goes through ``posts.edit_content`` like a
text edit: the same permission and state checks, a new version, approvals
withdrawn, an audit event. A file is checked from its bytes before anything
is stored (``planner.posts.uploads``); each network's own limits are reported as
warnings here and refused at submission and approval by the adapters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO

from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from planner.channels.registry import adapter_for
from planner.errors import Invalid, NotFound
from planner.models import Media, Post
from planner.posts.checks import check_alt_text, chosen_media, media_files
from planner.posts.uploads import display_name, inspect_upload, storage_name
from planner.posts.writing import edit_content

MEDIA_CONFLICT = gettext_lazy(
    "Someone else saved this post while you were editing (now version %(version)s), so "
    "the media were not changed. Save your text to compare, then try again."
)


@dataclass(frozen=True)
class MediaAdded:
    media: Media
    post: Post
    # "Channel: reason" for each network that would refuse the post's media as they are.
    warnings: list[str] = field(default_factory=list)


def _facts(media: Media) -> dict:
    return {
        "id": media.pk,
        "name": media.file.name,
        "mime_type": media.mime_type,
        "size": media.size,
        "alt": media.alt_text,
        **({"duration": media.duration} if media.duration is not None else {}),
    }


def _media_of(post: Post, media: Media) -> Media:
    found = post.media.filter(pk=media.pk).first()
    if found is None:
        raise NotFound(_("This file is no longer attached to the post."))
    return found


def _renumber(ordered: list[Media]) -> None:
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


def media_add(
    *,
    actor: User,
    post: Post,
    file: IO[bytes],
    expected_version: int,
    alt_text: str = "",
    name: str = "",
) -> MediaAdded:
    """Attach an image or a video at the end of the post's media.

    The file is refused (``Invalid``) when it is empty, larger than
    MEDIA_MAX_BYTES, or not really an image or video some network takes.
    """
    name = name or getattr(file, "name", "") or ""
    check_alt_text(alt_text)
    inspected = inspect_upload(file, name=name)
    stored: list[str] = []

    def plan(post: Post) -> dict:
        return {"file": display_name(name)}

    def write(post: Post) -> dict:
        last = post.media.order_by("-position").values_list("position", flat=True).first()
        media = Media(
            post=post,
            mime_type=inspected.mime_type,
            size=inspected.size,
            width=inspected.width,
            height=inspected.height,
            duration=inspected.duration,
            video_codec=inspected.video_codec,
            audio_codec=inspected.audio_codec,
            container=inspected.container,
            alt_text=alt_text,
            position=0 if last is None else last + 1,
        )
        file.seek(0)
        media.file.save(storage_name(name, inspected), File(file), save=False)
        stored.append(media.file.name)
        media.save()
        return {"media_added": _facts(media)}

    try:
        post = edit_content(
            actor=actor,
            post=post,
            expected_version=expected_version,
            event="post.media_add",
            plan=plan,
            write=write,
            conflict_message=MEDIA_CONFLICT,
        )
    except BaseException:
        # Nothing was kept: neither is the file.
        for name_in_storage in stored:
            Media.file.field.storage.delete(name_in_storage)
        raise
    media = post.media.get(file=stored[0])
    return MediaAdded(media=media, post=post, warnings=media_warnings(post))


def media_update_alt(*, actor: User, media: Media, alt_text: str, expected_version: int) -> Post:
    """Describe an image for people who cannot see it (a content change)."""
    check_alt_text(alt_text)

    def plan(post: Post) -> dict | None:
        current = _media_of(post, media)
        if current.alt_text == alt_text:
            return None
        return {"media": current.pk, "before": current.alt_text, "after": alt_text}

    def write(post: Post) -> None:
        current = _media_of(post, media)
        current.alt_text = alt_text
        current.save(update_fields=["alt_text"])

    return edit_content(
        actor=actor,
        post=media.post,
        expected_version=expected_version,
        event="post.media_alt",
        plan=plan,
        write=write,
        conflict_message=MEDIA_CONFLICT,
    )


def media_remove(*, actor: User, media: Media, expected_version: int) -> Post:
    """Detach a file from the post; the file itself is deleted once that is committed."""

    def plan(post: Post) -> dict:
        return {"media_removed": _facts(_media_of(post, media))}

    def write(post: Post) -> None:
        current = _media_of(post, media)
        name, storage = current.file.name, current.file.storage
        for variant in post.variants.exclude(media=None):
            if current.pk in variant.media:
                variant.media = [i for i in variant.media if i != current.pk]
                variant.save(update_fields=["media"])
        current.delete()
        _renumber(list(post.media.all()))
        transaction.on_commit(lambda: storage.delete(name))

    return edit_content(
        actor=actor,
        post=media.post,
        expected_version=expected_version,
        event="post.media_remove",
        plan=plan,
        write=write,
        conflict_message=MEDIA_CONFLICT,
    )


def media_move(*, actor: User, media: Media, position: int, expected_version: int) -> Post:
    """Put a file at ``position`` (0 is first) in the order the networks will show."""
    order: list[Media] = []

    def plan(post: Post) -> dict | None:
        order.extend(post.media.all())
        current = _media_of(post, media)
        index = next(i for i, item in enumerate(order) if item.pk == current.pk)
        target = max(0, min(position, len(order) - 1))
        if target == index:
            return None
        order.insert(target, order.pop(index))
        return {"media": current.pk, "before": index, "after": target}

    def write(post: Post) -> None:
        _renumber(order)

    return edit_content(
        actor=actor,
        post=media.post,
        expected_version=expected_version,
        event="post.media_move",
        plan=plan,
        write=write,
        conflict_message=MEDIA_CONFLICT,
    )


def parse_order(text: str, count: int) -> list[int]:
    """'3, 1' (numbers of the post's list, 1 first) as 0-based positions; ``Invalid``
    when a number is not one of the list's or comes twice."""
    positions = []
    for piece in text.replace(";", ",").replace(" ", ",").split(","):
        if not piece:
            continue
        if not piece.isdigit() or not 1 <= int(piece) <= count:
            raise Invalid(
                _("“%(piece)s” is not the number of one of the post's files (1 to %(count)s).")
                % {"piece": piece[:20], "count": count}
            )
        if int(piece) - 1 in positions:
            raise Invalid(_("File %(n)s is named twice.") % {"n": piece})
        positions.append(int(piece) - 1)
    return positions


def variant_media_choose(
    *,
    actor: User,
    post: Post,
    channel_id: int,
    positions: list[int] | None,
    expected_version: int,
) -> Post:
    """Give one channel its own selection and order of the post's files (``positions``
    in the post's list, 0 first; [] for none), or None: all of them, in the post's order.
    A content change like any other: a new version, approvals withdrawn."""

    def plan(post: Post) -> dict | None:
        variant = post.variants.filter(channel_id=channel_id).first()
        if variant is None:
            raise NotFound(_("This channel is not one of the post's."))
        ids = list(post.media.values_list("pk", flat=True))
        if positions is not None and any(not 0 <= p < len(ids) for p in positions):
            raise Invalid(_("One of these files is no longer attached to the post."))
        chosen = None if positions is None else [ids[p] for p in positions]
        if chosen == variant.media:
            return None
        return {"channel": channel_id, "before": variant.media, "after": chosen}

    def write(post: Post) -> None:
        variant = post.variants.get(channel_id=channel_id)
        chosen = None
        if positions is not None:
            ids = list(post.media.values_list("pk", flat=True))
            chosen = [ids[p] for p in positions]
        variant.media = chosen
        variant.save(update_fields=["media"])

    return edit_content(
        actor=actor,
        post=post,
        expected_version=expected_version,
        event="post.variant_media",
        plan=plan,
        write=write,
        conflict_message=MEDIA_CONFLICT,
    )


def media_problems(adapter, text: str, media: tuple) -> list[str]:
    """What a network would refuse because of the media (not of the text), each once."""
    without = list(adapter.validate(text, ()))
    problems = []
    for error in adapter.validate(text, media):
        if error in without:
            without.remove(error)
        elif error not in problems:
            problems.append(error)
    return problems


def media_warnings(post: Post, alt_texts: Mapping[int, str] | None = None) -> list[str]:
    """For each of the post's channels, what its network would refuse about the media
    it carries (the channel's own selection, else all the post's files)."""
    all_media = list(post.media.all())
    if not all_media:
        return []
    warnings = []
    for variant in post.variants.select_related("channel").order_by("channel__name"):
        adapter = adapter_for(variant.channel.kind)
        text = variant.text or post.body
        media = media_files(chosen_media(all_media, variant.media), alt_texts)
        for problem in media_problems(adapter, text, media):
            warnings.append(f"{variant.channel.name}: {problem}")
    return warnings
