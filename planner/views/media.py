"""A post's images and videos in the editor: upload, reorder, remove (JSON answers for
editor.js), and the one way a stored file is ever served back."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import current_membership
from planner import selectors
from planner.channels.registry import adapter_for
from planner.errors import Conflict, Invalid, ServiceError
from planner.models import Media, Post
from planner.posts import media as post_media
from planner.posts import previews, writing
from planner.posts.forms import PostForm
from planner.posts.uploads import accepted_types, display_name, inspect_upload

# Room for the form's other fields in a request that carries one file.
FORM_OVERHEAD = 1024 * 1024


def upload_settings() -> dict:
    """What the file input needs: the accepted types and the global size limit."""
    return {
        "media_accept": ",".join(accepted_types()),
        "media_max_bytes": settings.MEDIA_MAX_BYTES,
        "media_max_size": filesizeformat(settings.MEDIA_MAX_BYTES),
    }


def media_items(post: Post | None, alt_values=None) -> list[dict]:
    """Each attached file with the alternative text to show (typed, else saved)."""
    if post is None:
        return []
    alt_values = alt_values or {}
    media = list(post.media.all())
    limit = previews.alt_limit([v.channel for v in post.variants.select_related("channel")])
    items = []
    for item in media:
        alt = alt_values.get(item.pk, item.alt_text)
        items.append({"media": item, "alt": alt, "status": previews.alt_status(item, alt, limit)})
    return items


def channel_media(post: Post | None) -> list[dict]:
    """For each of the post's channels that take media: its own selection, as the
    numbers of the post's list ('' when it carries them all)."""
    if post is None:
        return []
    numbers = {pk: n for n, pk in enumerate(post.media.values_list("pk", flat=True), start=1)}
    choices = []
    for variant in post.variants.select_related("channel").order_by("channel__name"):
        if not adapter_for(variant.channel.kind).takes_media:
            continue
        own = variant.media is not None
        value = ", ".join(str(numbers[i]) for i in variant.media or [] if i in numbers)
        choices.append({"channel": variant.channel, "own": own, "value": value})
    return choices


def typed_alt_texts(data, post: Post | None) -> dict[int, str]:
    """The alternative texts in a submitted editor form, for this post's media only."""
    if post is None:
        return {}
    return {
        pk: data[f"alt_{pk}"]
        for pk in post.media.values_list("pk", flat=True)
        if f"alt_{pk}" in data
    }


def _answer(
    request, post: Post, *, message: str = "", error: str = "", warnings=None
) -> JsonResponse:
    post = Post.objects.get(pk=post.pk)
    html = render_to_string(
        "planner/_media.html",
        {
            "items": media_items(post),
            "channel_media": channel_media(post),
            "post_pk": post.pk,
            "warnings": post_media.media_warnings(post) if warnings is None else warnings,
        },
        request=request,
    )
    return JsonResponse(
        {
            "ok": True,
            "post": post.pk,
            "version": post.version,
            "edit_url": reverse("planner:post_edit", args=[post.pk]),
            "upload_url": reverse("planner:media_upload", args=[post.pk]),
            "html": html,
            "message": message,
            "error": error,
        }
    )


def _refusal(error: ServiceError, post: Post | None = None) -> JsonResponse:
    """Bad input is an answer, not a failure (as a form shown again with its errors);
    a conflict, a role or a missing object keep their HTTP status."""
    status = 200 if isinstance(error, Invalid) else error.status
    body = {"ok": False, "message": str(error.message)}
    if isinstance(error, Conflict) and post is not None:
        body["version"] = Post.objects.filter(pk=post.pk).values_list("version", flat=True)[0]
    return JsonResponse(body, status=status)


def _too_large(request) -> JsonResponse | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.MEDIA_MAX_BYTES + FORM_OVERHEAD:
        message = _("The file is larger than %(limit)s, the most Maillon accepts.") % {
            "limit": filesizeformat(settings.MEDIA_MAX_BYTES)
        }
        return JsonResponse({"ok": False, "message": message}, status=413)
    return None


def _the_file(request):
    upload = request.FILES.get("file")
    if upload is None:
        raise Invalid(_("Choose a file first."))
    return upload


def _added_message(added) -> str:
    name = display_name(added.media.file.name)
    return _("%(name)s added.") % {"name": name}


@login_required
@require_POST
def media_upload_new(request):
    """The first file of a post never saved: the draft is saved with it, so that the
    text typed so far is kept and the file has a post to belong to."""
    if refused := _too_large(request):
        return refused
    membership = current_membership(request.user)
    if membership is None:
        raise Http404
    form = PostForm(request.POST, workspace=membership.workspace)
    try:
        upload = _the_file(request)
        # Refuse a bad file before saving anything.
        inspect_upload(upload)
        if not form.is_valid():
            errors = [str(e) for field in form.errors.values() for e in field]
            raise Invalid(" ".join(errors))
        data = form.cleaned_data
        post = writing.post_create(
            actor=request.user,
            workspace=membership.workspace,
            title=data["title"],
            body=data["body"],
            variants=form.variants(),
            campaign=data["campaign"],
            scheduled_at=data["scheduled_at"],
            assignee=data["assignee"],
            labels=data["labels"],
        )
    except ServiceError as exc:
        return _refusal(exc)
    try:
        added = post_media.media_add(
            actor=request.user, post=post, file=upload, expected_version=post.version
        )
    except ServiceError as exc:
        # The draft is saved; only the file was refused.
        return _answer(request, post, message=_("Draft saved."), error=str(exc.message))
    message = _("Draft saved. %(added)s") % {"added": _added_message(added)}
    return _answer(request, added.post, message=message, warnings=added.warnings)


@login_required
@require_POST
def media_upload(request, pk: int):
    post = selectors.post_for(request.user, pk)
    if post is None:
        raise Http404
    if refused := _too_large(request):
        return refused
    try:
        added = post_media.media_add(
            actor=request.user,
            post=post,
            file=_the_file(request),
            expected_version=_version(request, post),
            alt_text=request.POST.get("alt_text", ""),
        )
    except ServiceError as exc:
        return _refusal(exc, post)
    message = _with_approval_note(_added_message(added), post, added.post)
    return _answer(request, added.post, message=message, warnings=added.warnings)


def _with_approval_note(message: str, before: Post, after: Post) -> str:
    """Say so when the change cost the post its approval (as any content change does)."""
    if before.approved_version is not None and after.approved_version is None:
        note = _("The approval was withdrawn: this new version goes back to the approvers.")
        return f"{message} {note}"
    return message


def _version(request, post: Post) -> int:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else post.version


def _media_or_404(request, pk: int) -> Media:
    media = Media.objects.select_related("post").filter(pk=pk).first()
    if media is None or selectors.post_for(request.user, media.post_id) is None:
        raise Http404
    return media


@login_required
@require_POST
def media_remove(request, pk: int):
    media = _media_or_404(request, pk)
    name = display_name(media.file.name)
    try:
        post = post_media.media_remove(
            actor=request.user, media=media, expected_version=_version(request, media.post)
        )
    except ServiceError as exc:
        return _refusal(exc, media.post)
    message = _("%(name)s removed.") % {"name": name}
    return _answer(request, post, message=_with_approval_note(message, media.post, post))


@login_required
@require_POST
def media_move(request, pk: int):
    media = _media_or_404(request, pk)
    value = request.POST.get("position", "")
    if not value.lstrip("-").isdigit():
        return _refusal(Invalid(_("Say where the file goes.")))
    try:
        post = post_media.media_move(
            actor=request.user,
            media=media,
            position=int(value),
            expected_version=_version(request, media.post),
        )
    except ServiceError as exc:
        return _refusal(exc, media.post)
    position = list(post.media.values_list("pk", flat=True)).index(media.pk) + 1
    message = _("%(name)s is now number %(position)s.") % {
        "name": display_name(media.file.name),
        "position": position,
    }
    return _answer(request, post, message=_with_approval_note(message, media.post, post))


@login_required
@require_POST
def variant_media(request, pk: int, channel_id: int):
    """One channel's own selection and order of the post's files ("order": numbers of the
    post's list), or back to all of them ("all")."""
    post = selectors.post_for(request.user, pk)
    if post is None:
        raise Http404
    channel = post.variants.select_related("channel").filter(channel_id=channel_id).first()
    if channel is None:
        raise Http404
    try:
        positions = None
        if not request.POST.get("all"):
            positions = post_media.parse_order(request.POST.get("order", ""), post.media.count())
        after = post_media.variant_media_choose(
            actor=request.user,
            post=post,
            channel_id=channel_id,
            positions=positions,
            expected_version=_version(request, post),
        )
    except ServiceError as exc:
        return _refusal(exc, post)
    if positions is None:
        message = _("%(channel)s carries all the files.") % {"channel": channel.channel.name}
    else:
        message = _("%(channel)s has its own files now.") % {"channel": channel.channel.name}
    return _answer(request, after, message=_with_approval_note(message, post, after))


@login_required
@require_GET
def media_file(request, pk: int):
    """A post's file, to its workspace's members only, and never as a page: the stored
    (sniffed) type, no sniffing by the browser, and a sandbox should it be opened."""
    return file_response(_media_or_404(request, pk), cache="private, max-age=3600")


def file_response(media: Media, *, cache: str) -> FileResponse:
    """A stored file as it is served to anyone: its stored (sniffed) type, no sniffing by
    the browser, a sandbox should it be opened as a page; 404 when the file is gone."""
    try:
        handle = media.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=media.mime_type, as_attachment=False, filename=media.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = cache
    return response
