"""A post's versions side by side, for members of its workspace."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from planner.posts.versions import version_history
from planner.views.posts import post_or_404


@login_required
def post_versions(request, pk: int):
    post = post_or_404(request, pk)
    return render(
        request,
        "planner/post_versions.html",
        {"post": post, "entries": version_history(post)},
    )
