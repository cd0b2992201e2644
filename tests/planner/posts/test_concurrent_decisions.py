"""Two approvers deciding the same step at the same moment, for real: two threads, two
database connections, started together. Exactly one decision counts; the other gets a
conflict with a clear message, from the service and as HTTP 409 from the page."""

import threading

import pytest
from django.db import connection

from planner.errors import Conflict
from planner.models import ApprovalDecision
from planner.posts import actions
from tests.factories import PostFactory
from tests.two_factor import VerifiedClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_review(cast):
    post = PostFactory(workspace=cast.workspace, author=cast.content, title="Launch day")
    return actions.post_submit(actor=cast.content, post=post)


def at_the_same_moment(*calls):
    """Run each call in its own thread (its own connection), released together; return
    what each returned or raised."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            start.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test reads
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_approvers_at_once_exactly_one_decision_counts(cast, in_review):
    def decide(user, decision, comment=""):
        return lambda: actions.post_decide(
            actor=user,
            post=in_review,
            decision=decision,
            expected_version=in_review.version,
            step_position=1,
            comment=comment,
        )

    for _ in range(3):  # the race is real: each round must have one winner
        results = at_the_same_moment(
            decide(cast.marketing, "approve"),
            decide(cast.marketing2, "request_changes", "Shorter, please."),
        )
        conflicts = [r for r in results if isinstance(r, Conflict)]
        assert len(conflicts) == 1, results
        assert conflicts[0].status == 409
        assert conflicts[0].message in (
            "Someone else already decided this step.",
            "This post is no longer waiting for a decision: it is now “Approved”.",
            "This post is no longer waiting for a decision: it is now “Changes requested”.",
        )
        # One decision recorded (a request for changes withdraws the step's decisions,
        # its own included, so that the version can be decided again once resubmitted).
        assert ApprovalDecision.objects.filter(post=in_review).count() == 1
        # Back to the start for the next round.
        in_review.refresh_from_db()
        ApprovalDecision.objects.filter(post=in_review).delete()
        in_review.state = "in_review"
        in_review.approved_version = None
        in_review.save()


def test_the_page_answers_409_to_the_approver_who_came_second(cast, in_review):
    clients = []
    for user in (cast.marketing, cast.marketing2):
        client = VerifiedClient()
        client.force_login(user)
        clients.append(client)

    def post_form(client):
        return lambda: (
            client.post(
                f"/posts/{in_review.pk}/decide/",
                {
                    "decision": "approve",
                    "expected_version": in_review.version,
                    "step_position": 1,
                    "comment": "",
                },
            ).status_code
        )

    statuses = at_the_same_moment(*(post_form(c) for c in clients))
    assert sorted(statuses) == [302, 409], statuses
    assert ApprovalDecision.objects.filter(post=in_review, decision="approve").count() == 1
