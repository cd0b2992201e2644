"""Building the Demo workspace from its cast (``planner.demo.cast``), through the services
as any other write would, in one transaction (the command ``seed_demo`` calls it).

The one exception is history: services refuse times in the past, so posts that
"already happened" are created at a future time, driven through the workflow, then moved
back in time with plain updates (see ``DemoBuilder._write_history``); months of older
activity are written in bulk by ``planner.demo.history``."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import CommandError
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Role, User
from planner import calendar_cache
from planner.approvals import chain_progress, chains
from planner.calendar_feeds import key_dates
from planner.demo import history
from planner.demo.cast import (
    APPROVERS,
    DC,
    DEMO_NAME,
    DEMO_PASSWORD,
    DEMO_SERVER,
    DEMO_TIME_ZONE,
    FB,
    HISTORY_CHANNELS,
    HISTORY_DAYS,
    HISTORY_POSTS,
    IG,
    LABELS,
    LI,
    MIN_DAYS,
    NO_PUBLIC_URL,
    PAST_ROUTES,
    PEOPLE,
    POSTS,
    ROUTES,
    SLOT_TIMES,
    TH,
    TM,
    WH,
    B,
    M,
    P,
    X,
    demo_channels,
)
from planner.models import (
    ApprovalDecision,
    Post,
    PostVersion,
    Publication,
    PublicationState,
    StepMode,
)
from planner.models.campaigns import Kpi
from planner.planning import services
from planner.posts import actions, scheduling, writing
from planner.publishing import engine
from planner.workflow import Action, State


class DemoBuilder:
    def __init__(self, server: str = DEMO_SERVER) -> None:
        self.server = server
        self.now = timezone.now()
        self.tz = ZoneInfo(DEMO_TIME_ZONE)
        self.people: dict[str, User] = {}
        self.existing_users: list[str] = []

    # --- the frame ---------------------------------------------------------------

    def build(self) -> dict:
        self._people()
        admin, marketing = self.people["admin"], self.people["marketing"]
        self.workspace = accounts_services.workspace_create(
            owner=admin, name=DEMO_NAME, time_zone=DEMO_TIME_ZONE
        )
        for key, (_email, _name, role, *_rest) in PEOPLE.items():
            if key != "admin":
                accounts_services.member_add(
                    actor=admin, workspace=self.workspace, user=self.people[key], role=role
                )
            accounts_services.user_switch_workspace(
                user=self.people[key], workspace_id=self.workspace.pk
            )
        self._window()
        self._channels(admin)
        self._objectives_and_campaigns(admin, marketing)
        self.labels = {
            name: services.label_get_or_create(
                actor=self.people["content"], workspace=self.workspace, name=name
            )
            for name in LABELS
        }
        self._posts()
        self._history()
        self._key_dates(marketing)
        # Its bulk writes (back-dated histories) record no audit event: the calendar is
        # told here, once they are committed.
        calendar_cache.bump_on_commit(self.workspace.pk)
        posts = Post.objects.filter(workspace=self.workspace)
        counts = Counter(posts.values_list("state", flat=True))
        return {
            "channels": len(self.channels),
            "campaigns": len(self.campaigns),
            "objectives": self.workspace.objectives.count(),
            "posts": posts.count(),
            "states": {state.value: counts[state] for state in State if counts[state]},
            "existing_users": self.existing_users,
        }

    def _people(self) -> None:
        for key, (email, full_name, _role, time_zone, language) in PEOPLE.items():
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = accounts_services.user_create(
                    email=email,
                    password=None,
                    full_name=full_name,
                    time_zone=time_zone,
                    language=language,
                )
                # The demo password is public and short on purpose, and the
                # validators user_create applies rightly refuse it for real
                # people ("too similar to the email address"): set it directly.
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            else:
                self.existing_users.append(email)
            self.people[key] = user
        admin = self.people["admin"]
        if not (admin.is_staff and admin.is_superuser):
            # Lets the demo admin open the Django admin; no service grants this.
            admin.is_staff = admin.is_superuser = True
            admin.save(update_fields=["is_staff", "is_superuser"])

    def _window(self) -> None:
        """The days the demo fills: this month, with at least MIN_DAYS either side of today."""
        today = self.now.astimezone(self.tz).date()
        first = today.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        self.first_day = min(first, today - timedelta(days=MIN_DAYS))
        self.last_day = max(last, today + timedelta(days=MIN_DAYS))
        days = (self.last_day - self.first_day).days + 1
        slots = [
            datetime.combine(self.first_day + timedelta(days=n), at, tzinfo=self.tz)
            for n in range(days)
            for at in SLOT_TIMES
        ]
        self.past_slots = [s for s in slots if s < self.now - timedelta(minutes=30)]
        self.future_slots = [s for s in slots if s > self.now + timedelta(hours=1)]

    def _channels(self, admin: User) -> None:
        self.channels = {}
        for kind, (name, handle, base_url, credentials) in demo_channels(self.server).items():
            self.channels[kind.value] = services.channel_save(
                actor=admin,
                workspace=self.workspace,
                kind=kind,
                name=name,
                handle=handle,
                base_url=base_url,
                credentials=credentials,
                # The demo's networks start after the seeding (calendar_project/devrun.py).
                verify=False,
            )

    def _objectives_and_campaigns(self, admin: User, marketing: User) -> None:
        ws, ch = self.workspace, self.channels
        quarter_end = _add_months(self.first_day.replace(day=1), 3) - timedelta(days=1)
        reach = services.objective_save(
            actor=admin,
            workspace=ws,
            title="Make the Trailhead 2 launch heard",
            kpi=Kpi.REACH,
            target=25_000,
            period_start=self.first_day,
            period_end=quarter_end,
            description="The launch only counts if people see it: reach on every network.",
            owner=admin,
        )
        community = services.objective_save(
            actor=admin,
            workspace=ws,
            title="Grow the repair community",
            kpi=Kpi.FOLLOWERS_GAINED,
            target=800,
            baseline=0,  # followers gained is already a gain over the period
            period_start=self.first_day,
            period_end=quarter_end,
            description="People who repair their gear are our best ambassadors.",
            owner=marketing,
        )
        chains.approval_chain_set(
            actor=admin, workspace=ws, campaign=None, steps=[(Role.MARKETING, StepMode.ANY, [])]
        )

        def campaign(name, objective, colour, cadence, ends_in, **texts):
            chosen = [ch[kind] for kind in cadence]
            saved = services.campaign_save(
                actor=marketing,
                workspace=ws,
                name=name,
                starts_on=self.first_day,
                ends_on=self.last_day + timedelta(days=ends_in),
                channels=chosen,
                cadence={ch[kind].pk: n for kind, n in cadence.items()},
                colour=colour,
                objective=objective,
                **texts,
            )
            return saved

        self.campaigns = {
            "launch": campaign(
                "Trailhead 2 launch",
                reach,
                "#e4572e",
                {M: 3, B: 3, X: 4, LI: 2, FB: 2, IG: 2, TH: 2, WH: 1, TM: 1},
                14,
                audience="Hikers aged 25-45 who buy one good bag and keep it.",
                tone="Warm, precise, a little dry. Facts before adjectives.",
                guidelines="Always give the weight and the price. No “best” or “lightest”.",
            ),
            "repair": campaign(
                "Repair month",
                community,
                "#2a9d8f",
                {M: 2, B: 2, TH: 2, FB: 1, DC: 3},
                0,
                audience="Existing customers and anyone with a broken bag, any brand.",
                tone="Friendly and practical: show the fix, not the brand.",
                guidelines="Every post says where and when. Photos of real repairs only.",
            ),
            "impact": campaign(
                "Annual impact report",
                community,
                "#6a4c93",
                {LI: 2, X: 2, M: 1, TM: 1, WH: 1},
                30,
                audience="Journalists, partners, and customers who read the small print.",
                tone="Sober. Numbers with their sources; admit what went wrong.",
                guidelines="Sensitive: every figure must match the published report. "
                "Marketing, then the administration, approve each post.",
            ),
        }
        # The sensitive campaign's own chain: marketing, then the administration.
        chains.approval_chain_set(
            actor=marketing,
            workspace=ws,
            campaign=self.campaigns["impact"],
            steps=[(Role.MARKETING, StepMode.ANY, []), (Role.ADMIN, StepMode.ANY, [])],
        )

    # --- the posts ---------------------------------------------------------------

    def _posts(self) -> None:
        times = self._times()
        for index, spec in enumerate(POSTS):
            when = times[index]
            post = self._create(spec, when)
            steps, expected = ROUTES[spec.route]
            for step in steps:
                post = self._step(post, spec, step)
            for who, text in spec.comments:
                actions.comment_add(actor=self.people[who], post=post, body=text)
            if post.state != expected:  # a service changed its mind: say so, loudly
                raise CommandError(f"“{spec.title}” ended {post.state}, not {expected}.")
            self._write_history(post, spec, when)

    def _history(self) -> None:
        """Four months before the calendar's window, written in bulk (``demo_history``):
        published posts with their audit trail, metrics and follower counts, so the
        reports have something to say on the first visit."""
        social = [self.channels[k] for k in HISTORY_CHANNELS]
        end = datetime.combine(self.first_day, time(0), tzinfo=self.tz) - timedelta(hours=1)
        start = end - timedelta(days=HISTORY_DAYS)
        people = self.people
        history.write_history(
            self.workspace,
            history.Cast(
                writers=(people["content"], people["contributor"], people["content"]),
                approvers=(people["marketing"], people["marketing2"]),
                planner=people["content"],
            ),
            social,
            start=start,
            end=end,
            posts=HISTORY_POSTS,
        )
        # The posts of the window that went out have metrics too.
        history.write_metrics(
            list(
                Publication.objects.filter(
                    post__workspace=self.workspace,
                    state=PublicationState.PUBLISHED,
                    published_at__gte=end,
                ).only("pk", "published_at")
            ),
            end=self.now,
        )
        history.write_followers(social, start=start, end=self.now)

    def _key_dates(self, marketing: User) -> None:
        """Two calendars imported as a person would upload them: public holidays (yearly,
        expanded over the import window) and this month's trade fair and launch stream."""
        key_dates.key_dates_import_file(
            actor=marketing,
            workspace=self.workspace,
            name="Public holidays (France)",
            data=_ics(
                _ics_event("holiday-labour-day@demo", "Labour Day", "DTSTART;VALUE=DATE:20000501"),
                _ics_event("holiday-bastille@demo", "Bastille Day", "DTSTART;VALUE=DATE:20000714"),
                _ics_event("holiday-christmas@demo", "Christmas", "DTSTART;VALUE=DATE:20001225"),
                yearly=True,
            ),
        )
        today = self.now.astimezone(self.tz).date()
        fair, stream = today + timedelta(days=2), today + timedelta(days=1)
        key_dates.key_dates_import_file(
            actor=marketing,
            workspace=self.workspace,
            name="Trade fairs and launches",
            data=_ics(
                _ics_event(
                    "fair-outdoor@demo",
                    "OutDoor trade fair, Munich",
                    f"DTSTART;VALUE=DATE:{fair:%Y%m%d}",
                    f"DTEND;VALUE=DATE:{fair + timedelta(days=3):%Y%m%d}",
                ),
                _ics_event(
                    "launch-stream@demo",
                    "Trailhead 2 launch live stream",
                    f"DTSTART;TZID={DEMO_TIME_ZONE}:{stream:%Y%m%d}T180000",
                    f"DTEND;TZID={DEMO_TIME_ZONE}:{stream:%Y%m%d}T190000",
                ),
            ),
        )

    def _times(self) -> list[datetime | None]:
        """A time for each post: past, future, or just now, by route; spread out evenly."""
        times: list[datetime | None] = [None] * len(POSTS)
        past = [i for i, p in enumerate(POSTS) if p.route in PAST_ROUTES or p.past]
        future = [
            i
            for i, p in enumerate(POSTS)
            if i not in past
            and not (p.unscheduled or p.due_in_minutes)
            and p.route not in ("missed", "publishing")
        ]
        rng = random.Random(8025)  # fixed seed: the same demo every time
        for indexes, slots in ((past, self.past_slots), (future, self.future_slots)):
            rng.shuffle(indexes)
            # One post per equal share of the slots, at a random slot of its share.
            for n, i in enumerate(indexes):
                share = slots[n * len(slots) // len(indexes) : (n + 1) * len(slots) // len(indexes)]
                times[i] = rng.choice(share or [slots[n * len(slots) // len(indexes)]])
        recent = {"missed": timedelta(hours=2), "publishing": timedelta(minutes=1)}
        for route, step in recent.items():
            for n, i in enumerate(i for i, p in enumerate(POSTS) if p.route == route):
                times[i] = self.now - step * (1 + 2 * n)
        for i, p in enumerate(POSTS):
            if p.due_in_minutes:
                times[i] = self.now + timedelta(minutes=p.due_in_minutes)
        return times

    def _create(self, spec: P, when: datetime | None) -> Post:
        author = self.people[spec.author]
        # Past times are refused by the services: plan it ahead, move it back later.
        planned = when if when is None or when > self.now else self.now + timedelta(days=2)
        may_schedule = spec.author != "contributor"
        post = writing.post_create(
            actor=author,
            workspace=self.workspace,
            title=spec.title,
            body=spec.body,
            variants={self.channels[k].pk: spec.variants.get(k, "") for k in spec.channels},
            campaign=self.campaigns[spec.campaign] if spec.campaign else None,
            scheduled_at=planned if may_schedule else None,
            assignee=self.people[spec.assignee or spec.author],
            labels=[self.labels[name] for name in spec.labels],
        )
        if planned is not None and not may_schedule:
            # Contributors cannot schedule: the content manager gives their posts a time.
            post = scheduling.post_reschedule(
                actor=self.people["content"], post=post, scheduled_at=planned
            )
        return post

    def _step(self, post: Post, spec: P, step: str) -> Post:
        author = self.people[spec.author]
        if step == "submit":
            return actions.post_submit(actor=author, post=post)
        if step == "approve":
            while post.state == State.IN_REVIEW:
                post = self._decide(post, "approve")
            return post
        if step == "approve_step":
            return self._decide(post, "approve")
        if step in ("request_changes", "reject"):
            return self._decide(post, step, spec.note)
        if step == "cancel":
            # Writers cancel their own drafts; an approved post needs a planner.
            who = {
                State.DRAFT: author,
                State.IN_REVIEW: self.people["content"],
                State.APPROVED: self.people["marketing"],
            }[post.state]
            return actions.post_cancel(actor=who, post=post, reason=spec.note)
        if step == "retract":
            return actions.post_retract(actor=self.people["marketing"], post=post, reason=spec.note)
        action = {
            "start": Action.START_PUBLISHING,
            "published": Action.MARK_PUBLISHED,
            "failed": Action.MARK_FAILED,
            "miss": Action.MISS_SLOT,
        }[step]
        return engine.post_engine_transition(post=post, action=action, note=spec.note)

    def _decide(self, post: Post, decision: str, comment: str = "") -> Post:
        step = chain_progress.progress(
            post, four_eyes_relaxed=self.workspace.four_eyes_relaxed
        ).current
        if step is None:
            raise CommandError(f"“{post}” has no step left to decide.")
        authors = chain_progress.content_authors(post)
        for key in APPROVERS[step.role]:
            approver = self.people[key]
            if approver.pk not in authors and step.may_decide(approver.pk, step.role):
                return actions.post_decide(
                    actor=approver,
                    post=post,
                    decision=decision,
                    expected_version=post.version,
                    step_position=step.position,
                    comment=comment,
                )
        raise CommandError(f"Nobody in the demo may decide step {step.position} of “{post}”.")

    # --- demo history --------------------------------------------------------------

    def _write_history(self, post: Post, spec: P, when: datetime | None) -> None:
        """Move what "already happened" back in time, with plain updates.

        Demo history only: the services rightly refuse to schedule in the past
        and stamp every change with the current time, so a freshly built demo
        would have nothing behind today. Audit events stay as written (they are
        append-only): they show when the demo was built.
        """
        if spec.waiting_hours:
            submitted = self.now - timedelta(hours=spec.waiting_hours)
            Post.objects.filter(pk=post.pk).update(
                created_at=submitted - timedelta(days=1), state_changed_at=submitted
            )
            PostVersion.objects.filter(post=post).update(created_at=submitted - timedelta(days=1))
            ApprovalDecision.objects.filter(post=post).update(
                created_at=submitted + timedelta(hours=1)
            )
        if when is None or when > self.now:
            return
        changed = {
            State.PUBLISHED: when + timedelta(minutes=1),
            State.RETRACTED: min(when + timedelta(hours=5), self.now - timedelta(minutes=10)),
            State.FAILED: when + timedelta(minutes=2),
            State.NEEDS_ATTENTION: when + timedelta(minutes=self.workspace.late_cutoff_minutes),
            State.PUBLISHING: when,
            State.CANCELLED: when - timedelta(days=1),
        }[post.state]
        created = when - timedelta(days=5)
        Post.objects.filter(pk=post.pk).update(
            scheduled_at=when, created_at=created, state_changed_at=changed
        )
        PostVersion.objects.filter(post=post).update(created_at=created)
        ApprovalDecision.objects.filter(post=post).update(created_at=when - timedelta(days=2))
        publications = list(
            Publication.objects.filter(post=post).select_related("channel").order_by("channel_id")
        )
        for n, publication in enumerate(publications):
            # The post's last channel is the one that failed, or is still going out.
            last = publication.channel.kind == spec.channels[-1]
            sent_at = when + timedelta(seconds=20 + 7 * n)
            fields = self._publication_history(post, spec, sent_at, publication, last=last)
            Publication.objects.filter(pk=publication.pk).update(due_at=when, **fields)

    def _publication_history(
        self, post: Post, spec: P, sent_at: datetime, publication: Publication, *, last: bool
    ) -> dict:
        sent = {
            "state": PublicationState.PUBLISHED,
            "attempts": 1,
            "published_at": sent_at,
            **_external(post, publication),
        }
        if post.state == State.PUBLISHED:
            return sent
        if post.state == State.RETRACTED:
            return {**sent, "state": PublicationState.RETRACTED}
        if post.state == State.FAILED:
            if not last:
                return sent
            return {
                "state": PublicationState.FAILED,
                "attempts": spec.attempts,
                "last_error": spec.note,
            }
        if post.state == State.PUBLISHING:
            if not last:
                return sent
            if spec.note:  # a transient error: the engine will try again shortly
                return {
                    "state": PublicationState.RETRY_WAIT,
                    "attempts": 1,
                    "last_error": spec.note,
                    "next_attempt_at": self.now + timedelta(minutes=3),
                }
            return {
                "state": PublicationState.SENDING,
                "attempts": 1,
                "lease_until": self.now + timedelta(minutes=5),
            }
        if post.state == State.NEEDS_ATTENTION:
            # Held back until a person decides; publishing it again reschedules it.
            return {"state": PublicationState.CANCELLED, "last_error": spec.note}
        return {}


def _external(post: Post, publication: Publication) -> dict:
    external_id = str(113_400_000_000_000_000 + post.pk * 100 + publication.channel_id)
    if publication.channel.kind in NO_PUBLIC_URL:
        return {"external_id": external_id}
    return {
        "external_id": external_id,
        "external_url": f"{publication.channel.base_url}/posts/{external_id}",
    }


def _ics_event(uid: str, summary: str, *lines: str) -> str:
    return "\r\n".join(
        ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z", f"SUMMARY:{summary}", *lines]
    )


def _ics(*events: str, yearly: bool = False) -> bytes:
    """A calendar as a calendar program exports it (CRLF line ends)."""
    rule = "\r\nRRULE:FREQ=YEARLY" if yearly else ""
    body = "".join(f"{event}{rule}\r\nEND:VEVENT\r\n" for event in events)
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Cairn Outdoor//Demo//EN\r\n"
    return (head + body + "END:VCALENDAR\r\n").encode()


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=1)
