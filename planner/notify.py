"""Telling people what they need to know. Mail goes out after the transaction commits."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import Membership, Role


def _recipients(post) -> list:
    admins = [
        m.user
        for m in Membership.objects.filter(workspace_id=post.workspace_id, role=Role.ADMIN)
        .select_related("user")
        .filter(user__is_active=True)
    ]
    people = {u.pk: u for u in admins}
    if post.author_id and post.author and post.author.is_active:
        people[post.author_id] = post.author
    return list(people.values())


def publication_problem(publication, reason: str) -> None:
    """A post failed, waits for a person, or may not have gone out: tell its author and admins."""
    post = publication.post
    context = {
        "post": post,
        "channel": publication.channel,
        "reason": reason,
        "url": f"{settings.SITE_URL}/posts/{post.pk}/",
    }
    messages = []
    for user in _recipients(post):
        with translation.override(user.language):
            subject = render_to_string("emails/publication_problem_subject.txt", context).strip()
            body = render_to_string("emails/publication_problem_body.txt", context)
        messages.append((subject, body, None, [user.email]))
    if messages:
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
