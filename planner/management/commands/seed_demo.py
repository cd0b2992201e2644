"""`manage.py seed_demo`: a "Demo" workspace that shows every part of Maillon.

Cairn Outdoor, a fictional maker of repairable backpacks, with one person per
role, two objectives, three campaigns (one sensitive, approved by marketing
then admin), a channel of every kind pointing at the local demo networks
(``calendar_project/demo_networks.py``, which `make run` starts), and about
sixty posts spread over the current month in every workflow state; three of
them are due a few minutes after the seed runs, so that a new user sees posts
go out. Key dates come from two imported calendars: public holidays (yearly) and this
month's trade fair and launch stream, so the calendar shows them.

Everything goes through the services, as any other write would. The one
exception is history: services refuse times in the past, so posts that
"already happened" are created at a future time, driven through the
workflow, then moved back in time with plain updates (see ``_write_history``).

Idempotent: when the Demo workspace exists, nothing is done. ``--if-empty``
(used by ``make run`` on every start) does nothing when any workspace exists.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Role, User, Workspace
from planner import calendar_cache
from planner.approvals import chain_progress, chains
from planner.calendar_feeds import key_dates
from planner.demo import history
from planner.errors import ServiceError
from planner.models import (
    ApprovalDecision,
    ChannelKind,
    Post,
    PostVersion,
    Publication,
    PublicationState,
    StepMode,
)
from planner.models.campaigns import Kpi
from planner.planning import services
from planner.posts import writing
from planner.publishing import engine
from planner.workflow import Action, State

DEMO_NAME = "Demo"
DEMO_SLUG = "demo"
DEMO_TIME_ZONE = "Europe/Paris"
DEMO_PASSWORD = "maillon-demo"  # noqa: S105 (a published demo password, for local use only)

# key: (email, full name, role, time zone, language)
PEOPLE = {
    "admin": ("admin@maillon.test", "Claire Dubois", Role.ADMIN, "Europe/Paris", "en"),
    "marketing": ("marketing@maillon.test", "Samuel Okafor", Role.MARKETING, "Europe/Paris", "en"),
    "marketing2": (
        "marketing2@maillon.test",
        "Noor Haddad",
        Role.MARKETING,
        "America/Montreal",
        "fr",
    ),
    "content": ("content@maillon.test", "Léa Martin", Role.CONTENT_MANAGER, "Europe/Paris", "en"),
    "contributor": (
        "contributor@maillon.test",
        "Tomás Rivera",
        Role.CONTRIBUTOR,
        "Europe/Lisbon",
        "en",
    ),
    "viewer": ("viewer@maillon.test", "Ingrid Berg", Role.VIEWER, "Europe/Oslo", "en"),
}

# Who decides a step of a given role, in order of preference (never the post's author).
APPROVERS = {Role.MARKETING: ("marketing", "marketing2"), Role.ADMIN: ("admin",)}

# The local stand-in for the networks that `make run` starts (calendar_project/demo_networks.py).
DEMO_SERVER = "http://127.0.0.1:8025"


def demo_channels(server: str = DEMO_SERVER) -> dict[ChannelKind, tuple[str, str, str, dict]]:
    """kind: (name, handle, base URL, credentials) of each demo channel, on the demo server
    at ``server``. The secrets are fake but shaped like each network's, under the keys each
    adapter reads; they are stored encrypted like real ones."""
    return {
        ChannelKind.MASTODON: (
            "Cairn on Mastodon",
            "@cairn@mastodon.example",
            f"{server}/mastodon",
            {"access_token": "demo-mastodon-token-Q2Fpcm4gT3V0ZG9vcg"},
        ),
        ChannelKind.BLUESKY: (
            "Cairn on Bluesky",
            "@cairn-outdoor.bsky.social",
            f"{server}/bluesky",
            {"identifier": "cairn-outdoor.bsky.social", "app_password": "demo-bsky-4kq2-x7pn-93ta"},
        ),
        ChannelKind.X: (
            "Cairn on X",
            "@CairnOutdoor",
            f"{server}/x",
            {
                "client_id": "demo-x-client-id-7Hc2LmQ",
                "client_secret": "demo-x-client-secret-f81Kd02LsPq",
                "access_token": "demo-x-access-token-1577-cairn",
                "refresh_token": "demo-x-refresh-token-Zu8Wq",
            },
        ),
        ChannelKind.LINKEDIN: (
            "Cairn Outdoor on LinkedIn",
            "cairn-outdoor",
            f"{server}/linkedin",
            {
                "access_token": "demo-linkedin-token-AQV3cairn",
                "author_urn": "urn:li:organization:8025",
            },
        ),
        ChannelKind.FACEBOOK: (
            "Cairn Outdoor Facebook page",
            "CairnOutdoor",
            f"{server}/facebook",
            {"page_id": "802500000001", "page_access_token": "demo-facebook-page-token-EAAGcairn"},
        ),
        ChannelKind.INSTAGRAM: (
            "@cairn.outdoor on Instagram",
            "@cairn.outdoor",
            f"{server}/instagram",
            {
                "ig_user_id": "17841480250001",
                "access_token": "demo-instagram-token-IGQcairn",
                "public_media_base_url": f"{server}/media",
            },
        ),
        ChannelKind.THREADS: (
            "Cairn on Threads",
            "@cairn.outdoor",
            f"{server}/threads",
            {"threads_user_id": "802500000002", "access_token": "demo-threads-token-THcairn"},
        ),
        ChannelKind.SLACK: (
            "Staff Slack #announcements",
            "#announcements",
            f"{server}/slack",
            {"webhook_url": f"{server}/slack/services/T0CAIRN/B0DEMO/demo-slack-hook-secret"},
        ),
        ChannelKind.DISCORD: (
            "Cairn community Discord",
            "#news",
            f"{server}/discord",
            {"webhook_url": f"{server}/discord/api/webhooks/8025/demo-discord-hook-secret"},
        ),
        ChannelKind.TEAMS: (
            "Retail partners on Teams",
            "Partners / News",
            f"{server}/teams",
            {"webhook_url": f"{server}/teams/webhookb2/demo-teams-hook-secret"},
        ),
        ChannelKind.WEBHOOK: (
            "Website newsroom",
            "cairn.example/news",
            f"{server}/webhook",
            {
                "webhook_url": f"{server}/webhook/newsroom",
                "signing_secret": "demo-webhook-signing-secret",
            },
        ),
    }


# Chat webhooks give no public address for what they posted.
NO_PUBLIC_URL = {ChannelKind.SLACK, ChannelKind.DISCORD, ChannelKind.TEAMS}

LABELS = ("Product", "Community", "Repair", "Behind the scenes", "Events", "Hiring", "Internal")

# Local times at which the demo schedules posts.
SLOT_TIMES = (time(8, 30), time(10, 0), time(12, 15), time(14, 30), time(17, 0), time(18, 45))
# History before the calendar's window (``_history``): about one post a day.
HISTORY_DAYS = 120
HISTORY_POSTS = 110
HISTORY_CHANNELS = ("mastodon", "bluesky", "x", "linkedin", "facebook", "instagram", "threads")

# The calendar shows the current month, widened so that there is always at
# least this many days of past and of future, whatever today's date.
MIN_DAYS = 5


@dataclass(frozen=True)
class P:
    """One demo post and the road it takes through the workflow (see ``ROUTES``)."""

    route: str
    title: str
    body: str
    channels: tuple[str, ...] = ()
    campaign: str | None = None
    labels: tuple[str, ...] = ()
    author: str = "content"
    assignee: str | None = None  # default: the author
    variants: Mapping[str, str] = field(default_factory=dict)
    # The decision's comment, the cancel reason, or the network's error.
    note: str = ""
    comments: tuple[tuple[str, str], ...] = ()
    past: bool = False  # for routes that may sit either side of today
    unscheduled: bool = False
    waiting_hours: int = 0  # how long it has waited on its approvers
    # Due this many minutes after the seed ran, so that a new user sees it go out.
    due_in_minutes: int = 0
    attempts: int = 1


# route -> (steps, final state). "approve_step" decides one step of the chain;
# "approve" goes through all of them.
ROUTES: dict[str, tuple[tuple[str, ...], State]] = {
    "draft": ((), State.DRAFT),
    "review": (("submit",), State.IN_REVIEW),
    "review2": (("submit", "approve_step"), State.IN_REVIEW),
    "changes": (("submit", "request_changes"), State.CHANGES_REQUESTED),
    "changes2": (("submit", "approve_step", "request_changes"), State.CHANGES_REQUESTED),
    "approved": (("submit", "approve"), State.APPROVED),
    "publishing": (("submit", "approve", "start"), State.PUBLISHING),
    "published": (("submit", "approve", "start", "published"), State.PUBLISHED),
    "failed": (("submit", "approve", "start", "failed"), State.FAILED),
    "missed": (("submit", "approve", "miss"), State.NEEDS_ATTENTION),
    "retracted": (("submit", "approve", "start", "published", "retract"), State.RETRACTED),
    "cancel_draft": (("cancel",), State.CANCELLED),
    "cancel_review": (("submit", "cancel"), State.CANCELLED),
    "cancel_approved": (("submit", "approve", "cancel"), State.CANCELLED),
    "reject2": (("submit", "approve_step", "reject"), State.CANCELLED),
}
PAST_ROUTES = {"published", "retracted", "failed"}

M, B, X, LI, FB, IG, TH = "mastodon", "bluesky", "x", "linkedin", "facebook", "instagram", "threads"
SL, DC, TM, WH = "slack", "discord", "teams", "webhook"

POSTS: tuple[P, ...] = (
    # --- already out ------------------------------------------------------------
    P(
        "published",
        "Teaser: something new at the trailhead",
        "Something new is waiting at the trailhead. 28 litres, a zip you can fix yourself, "
        "and a frame our testers carried for 1,200 km. More very soon. 🏔️",
        (M, B, X, TH),
        "launch",
        ("Product",),
    ),
    P(
        "published",
        "Trailhead 2 is here",
        "Trailhead 2 is here: 28 L, 1.1 kg, every part replaceable, repairs free for life. "
        "Designed in Lyon, tested on the GR20. €169 on cairn.example/trailhead",
        (M, B, X, LI, FB),
        "launch",
        ("Product",),
        variants={
            X: "Trailhead 2 is here. 28 L, 1.1 kg, every part replaceable. "
            "Repairs free for life. #Trailhead2 cairn.example/trailhead",
            LI: "Today we launch Trailhead 2, the backpack we wish we had bought ten years ago.\n\n"
            "Every part of it — zips, buckles, straps, frame — can be replaced with a screwdriver "
            "and ten minutes. Repairs are free for as long as you own it.\n\n"
            "Three years of design in our Lyon workshop, 1,200 km of testing on the GR20, and a "
            "lot of broken prototypes. Thank you to everyone who helped.\n\n"
            "cairn.example/trailhead",
        },
    ),
    P(
        "published",
        "Trailhead 2: the zip you can fix",
        "Zips are where backpacks die. On Trailhead 2 the slider and the tape come off with "
        "two screws, and we send you a new one for free. Here is how it works 🧵",
        (M, B, TH),
        "launch",
        ("Product", "Repair"),
    ),
    P(
        "published",
        "Behind the scenes: the test team",
        "Meet the six people who carried Trailhead 2 prototypes through rain, scree and one "
        "memorable hailstorm above Corte. Their notes shaped every strap.",
        (FB, LI, M),
        "launch",
        ("Behind the scenes",),
        author="contributor",
        assignee="content",
    ),
    P(
        "published",
        "Repair café in Lyon this Saturday",
        "Broken buckle? Torn hip belt? Bring any backpack, any brand, to our repair café this "
        "Saturday from 10:00 to 16:00 at the workshop, 14 rue des Tanneurs. Coffee is on us.",
        (M, FB, DC),
        "repair",
        ("Repair", "Events"),
    ),
    P(
        "published",
        "How to replace a buckle in five minutes",
        "Replacing a side-release buckle takes five minutes and no sewing on any Cairn bag. "
        "Step 1: open the keeper. Step 2: slide the old buckle off. Step 3: you know the rest.",
        (M, B, TH),
        "repair",
        ("Repair",),
    ),
    P(
        "published",
        "Free repairs for life, explained",
        "“Free repairs for life” has no small print: send us any Cairn bag, we fix it and send "
        "it back, postage included. Last year that was 2,140 bags. Here is what we learnt.",
        (FB, M),
        "repair",
        ("Repair",),
    ),
    P(
        "published",
        "We're hiring: repair technician in Lyon",
        "We are hiring a repair technician for our Lyon workshop: sewing machines, patience and "
        "a taste for puzzles. Full time, permanent. Details: cairn.example/jobs",
        (LI, M),
        None,
        ("Hiring",),
        author="marketing",
    ),
    P(
        "published",
        "Staff: launch retro on Thursday",
        "Launch retro on Thursday at 16:00 in the workshop. Bring one thing that went well and "
        "one thing we should never do again. Snacks are on the house.",
        (SL,),
        None,
        ("Internal",),
    ),
    P(
        "published",
        "Customer photo of the week",
        "Photo of the week: Aïcha's Trailhead 2 at sunrise on the Aiguille du Goûter, after a "
        "night at the refuge. Tag #CairnOutside and we may feature yours next.",
        (M, B, TH),
        "launch",
        ("Community",),
        author="contributor",
        assignee="content",
    ),
    P(
        "published",
        "Our impact report is out",
        "Our impact report is out: emissions per backpack, where our materials come from, and "
        "what we got wrong this year. Read it in full at cairn.example/impact",
        (LI, X, M, WH),
        "impact",
        ("Behind the scenes",),
    ),
    P(
        "published",
        "Community tip: waxing your jacket",
        "Community tip from Marco on our Discord: a block of fabric wax and a hair dryer bring a "
        "ten-year-old waxed cotton jacket back to life. Ten minutes, no new jacket needed.",
        (DC, M),
        "repair",
        ("Community", "Repair"),
        author="contributor",
        assignee="content",
    ),
    P(
        "published",
        "Trailhead 2 size guide",
        "Which Trailhead 2 is yours? Measure from the bony bump at the base of your neck to the "
        "top of your hips: under 45 cm take S/M, over 45 cm take M/L.",
        (FB, TH, B),
        "launch",
        ("Product",),
    ),
    P(
        "published",
        "Retail partners: launch kit available",
        "The Trailhead 2 launch kit is ready for our retail partners: photos, shelf cards and the "
        "repair-for-life leaflet. Download it from the partner portal.",
        (TM,),
        "launch",
        ("Internal",),
        author="marketing",
    ),
    P(
        "published",
        "First reviews are in",
        "“The first pack I have seen that is designed to be taken apart.” The first Trailhead 2 "
        "reviews are in, and we are blushing. Links below.",
        (X, B, M, LI),
        "launch",
        ("Product",),
    ),
    P(
        "published",
        "Repair month: 312 items fixed so far",
        "312 items fixed so far this month at our repair cafés: 118 zips, 74 buckles, 61 straps "
        "and one very loved 1998 tent. Thank you for not throwing them away.",
        (M, B, FB, TH),
        "repair",
        ("Repair", "Community"),
    ),
    P(
        "published",
        "Newsroom: holiday opening hours",
        "Holiday opening hours: the Lyon shop and workshop are open every day until the 23rd, "
        "then closed until the 2nd. Repairs sent in the meantime will be waiting for us.",
        (WH, FB),
        None,
        ("Events",),
    ),
    P(
        "published",
        "Trail conditions: first snow",
        "First snow above 1,800 m this week. If you are heading up, pack a warm layer, "
        "microspikes, and check the refuge opening dates before you leave.",
        (M, B),
        None,
        ("Community",),
        author="contributor",
        assignee="content",
    ),
    # --- retracted --------------------------------------------------------------
    P(
        "retracted",
        "Trailhead 2 price announcement",
        "Trailhead 2 will be €149 in every colour, with free repairs for life.",
        (X, FB, M),
        "launch",
        ("Product",),
        note="Wrong price in the text: Trailhead 2 is €169.",
        comments=(("marketing", "Retracted: the price was wrong. A corrected post follows."),),
    ),
    P(
        "retracted",
        "Repair café moved to Villeurbanne",
        "This Saturday our repair café moves to the Villeurbanne library, 10:00 to 16:00.",
        (M, DC),
        "repair",
        ("Events",),
        note="Wrong venue: the library booking fell through.",
    ),
    # --- failed -----------------------------------------------------------------
    P(
        "failed",
        "Trailhead 2 in the wild",
        "Trailhead 2 in the wild: your photos from the first weeks on the trail. Swipe through "
        "and tag yours with #CairnOutside.",
        (TH, FB),
        "launch",
        ("Community",),
        note="Facebook: (#190) the Page access token has expired. Reconnect the channel.",
    ),
    P(
        "failed",
        "Partners: new order portal",
        "The new order portal for retail partners opens on Monday. Your login stays the same.",
        (TM,),
        None,
        ("Internal",),
        author="marketing",
        note="410 Gone: this incoming webhook was removed from the Teams channel.",
        attempts=5,
    ),
    P(
        "failed",
        "Trailhead 2: colours poll",
        "Which colour should the next Trailhead 2 come in? Moss, Clay, or Glacier? Reply below.",
        (X,),
        "launch",
        ("Product", "Community"),
        note="401 Unauthorized: the access token was revoked; reconnect the channel.",
    ),
    # --- waiting for a person after missing their slot --------------------------
    P(
        "missed",
        "Repair café: last call",
        "Last call: the repair café closes at 16:00 today. Still time to bring that broken zip.",
        (M, FB),
        "repair",
        ("Events",),
        note="Missed its slot while publishing was paused.",
    ),
    P(
        "missed",
        "Lunchtime trail tip",
        "Lunchtime tip: a 20-minute walk up Fourvière beats any afternoon coffee.",
        (B, TH),
        None,
        ("Community",),
        note="Missed its slot: the worker was down for maintenance.",
    ),
    # --- due a few minutes after the demo is loaded: `make run` shows them go out --
    P(
        "approved",
        "Trail tip: pack heavy, pack close",
        "Trail tip: pack the heaviest things close to your back and between your shoulder "
        "blades. Your hips carry the load, your shoulders thank you. #CairnOutside",
        (M, B, TH),
        None,
        ("Community",),
        comments=(
            (
                "content",
                "Due a few minutes after the demo was loaded: watch it go out on the demo "
                "networks page that `make run` prints (http://127.0.0.1:8025/ by default).",
            ),
        ),
        due_in_minutes=2,
    ),
    P(
        "approved",
        "Repair café this Saturday",
        "Repair café this Saturday at the Lyon workshop, 10:00 to 16:00: bring any bag, any "
        "brand. Zips, buckles and straps fixed while you wait.",
        (X, LI, FB, DC),
        None,
        ("Repair", "Events"),
        due_in_minutes=4,
    ),
    P(
        "approved",
        "Holiday opening hours",
        "Holiday opening hours: the Lyon workshop closes from the 24th to the 27th, and repairs "
        "sent by post that week are handled from the 28th.",
        (SL, TM, WH),
        None,
        ("Internal",),
        due_in_minutes=6,
    ),
    # --- going out right now ----------------------------------------------------
    P(
        "publishing",
        "Giveaway winners",
        "The three winners of our Trailhead 2 giveaway are @julie, @k_ahmed and @pierre.v. "
        "Check your messages! Thank you to the 1,400 of you who took part.",
        (M, B),
        "launch",
        ("Community",),
    ),
    P(
        "publishing",
        "Staff: new expense tool",
        "From Monday, expenses go through the new tool: one photo of the receipt, that's it. "
        "Guide in the handbook.",
        (SL,),
        None,
        ("Internal",),
        note="503 Service Unavailable; retrying in 3 minutes.",
    ),
    # --- cancelled --------------------------------------------------------------
    P(
        "cancel_review",
        "Countdown: three days to go",
        "Three days to go. 🏔️",
        (M, X),
        "launch",
        ("Product",),
        note="Merged into the launch post.",
        past=True,
    ),
    P(
        "cancel_draft",
        "Flash sale teaser",
        "48-hour flash sale on last season's bags, starting tomorrow!",
        (FB, IG),
        None,
        (),
        author="contributor",
        note="We don't do flash sales.",
        past=True,
    ),
    P(
        "reject2",
        "Impact report: our supplier list",
        "The full list of our fabric, webbing and hardware suppliers, with their audit results.",
        (LI, X),
        "impact",
        (),
        note="Legal has not cleared naming suppliers outside the report itself. Link to the "
        "report instead.",
    ),
    P(
        "cancel_approved",
        "Winter care guide",
        "Storing your pack for the winter: empty it, clean it, dry it, and never in the attic.",
        (M, FB),
        "repair",
        ("Repair",),
        note="Postponed to January; we will plan it again then.",
    ),
    # --- approved, waiting for their time ---------------------------------------
    P(
        "approved",
        "Trailhead 2 colours: Moss",
        "Moss: the Trailhead 2 colour our testers picked most. Dyed with 60% less water than "
        "last year's range.",
        (M, B, X, TH),
        "launch",
        ("Product",),
    ),
    P(
        "approved",
        "Designing for repair",
        "Designing for repair changes every decision: screws instead of glue, standard buckles, "
        "patterns that a workshop anywhere can cut. A short thread on Trailhead 2's design.",
        (LI,),
        "launch",
        ("Behind the scenes",),
        variants={
            LI: "Designing for repair changes every decision.\n\n"
            "Screws instead of glue. Standard 25 mm buckles any shop stocks. Patterns a workshop "
            "anywhere can cut. A frame that comes out without tools.\n\n"
            "It costs us about 8% more per bag to build Trailhead 2 this way. It saves the owner "
            "a new bag every time something breaks. Our design lead explains the trade-offs."
        },
        author="marketing",
    ),
    P(
        "approved",
        "Repair month: the last week",
        "Last week of our repair month: drop-in repairs every afternoon at the Lyon workshop, "
        "any brand, no appointment.",
        (M, B, FB, DC, TH),
        "repair",
        ("Repair", "Events"),
    ),
    P(
        "approved",
        "Spare parts shop is open",
        "Our spare parts shop is open: buckles, zips, straps and frames for every Cairn bag "
        "since 2012, at cost price. cairn.example/parts",
        (M, FB),
        "repair",
        ("Repair", "Product"),
    ),
    P(
        "approved",
        "Impact report: three numbers",
        "Three numbers from our impact report: 9.8 kg CO₂e per backpack (down 14%), 71% recycled "
        "nylon, 2,140 repairs. The rest: cairn.example/impact",
        (LI, X, M),
        "impact",
        ("Behind the scenes",),
    ),
    P(
        "approved",
        "Staff: inventory day",
        "Inventory day on the 1st: the shop opens at 14:00. Warehouse team, coffee at 7:30.",
        (SL,),
        None,
        ("Internal",),
    ),
    P(
        "approved",
        "Partners: restock dates",
        "Restock dates for retail partners: Trailhead 2 Moss and Clay ship on the 8th, Glacier "
        "on the 15th.",
        (TM, WH),
        None,
        ("Internal",),
        author="marketing",
    ),
    P(
        "approved",
        "Trailhead 2 video walkthrough",
        "Four minutes, every pocket, every strap: a walkthrough of Trailhead 2 by the people "
        "who designed it.",
        (FB, M, B),
        "launch",
        ("Product",),
    ),
    P(
        "approved",
        "Discord Q&A with the repair team",
        "Ask our repair team anything: live Q&A on our Discord, Thursday 18:00 to 19:00.",
        (DC, M),
        "repair",
        ("Community", "Events"),
        variants={
            DC: "@everyone Live Q&A with the repair team on Thursday, 18:00 to 19:00 in "
            "#repair-clinic. Bring photos of whatever is broken!"
        },
    ),
    P(
        "approved",
        "Trailhead 2 FAQ",
        "Everything you asked about Trailhead 2 in one place: sizes, weight, warranty, repairs.",
        (WH, M),
        "launch",
        ("Product",),
    ),
    # --- in review --------------------------------------------------------------
    P(
        "review",
        "Impact report: emissions per backpack",
        "Each Trailhead 2 is responsible for 9.8 kg CO₂e from fabric to shop shelf, 14% less than "
        "its predecessor. Where the rest comes from, and what we do next:",
        (LI, X, M),
        "impact",
        ("Behind the scenes",),
        waiting_hours=30,
    ),
    P(
        "review",
        "Impact report: the repair numbers",
        "2,140 bags repaired for free this year, 38% of them older than ten years. Repairs are "
        "our best climate policy.",
        (LI, M),
        "impact",
        ("Repair",),
    ),
    P(
        "review",
        "Impact report: where our nylon comes from",
        "71% of the nylon in our bags is now recycled, most of it from fishing nets collected "
        "on the Atlantic coast.",
        (LI, X),
        "impact",
        (),
        author="marketing",
        assignee="content",
        waiting_hours=6,
    ),
    P(
        "review2",
        "Impact report: what we got wrong",
        "What we got wrong this year: our Glacier colour used a dye we had promised to phase "
        "out. It is gone from the next batch, and we explain how it happened.",
        (LI, M, WH),
        "impact",
        ("Behind the scenes",),
        waiting_hours=26,
        comments=(("marketing", "Fine on my side. Claire, your call on the wording."),),
    ),
    P(
        "review2",
        "Impact report: next year's targets",
        "Next year's targets: 85% recycled nylon, every part sold separately, and a repair "
        "café in every city where we have a shop.",
        (LI, X, TM),
        "impact",
        (),
    ),
    P(
        "review",
        "Trailhead 2 vs Trailhead 1",
        "Trailhead 2 vs Trailhead 1: 300 g lighter, 2 L bigger, and the hip belt now comes off. "
        "Still the same back panel you loved.",
        (M, B, X),
        "launch",
        ("Product",),
        waiting_hours=28,
        comments=(
            ("marketing", "Can we say what the weight difference comes from?"),
            ("content", "The frame: aluminium instead of steel. Adding it to the thread."),
        ),
    ),
    P(
        "review",
        "Bring your broken zip",
        "Repair month: bring your broken zip to the workshop any afternoon this week and watch "
        "it get fixed in front of you.",
        (M, DC),
        "repair",
        ("Repair", "Events"),
        author="contributor",
        assignee="content",
    ),
    P(
        "review",
        "Holiday gift guide",
        "Gifts that last: a repair kit, a spare hip belt, or a voucher for a repair café "
        "workshop. Our holiday gift guide.",
        (FB, TH, B),
        None,
        ("Product",),
    ),
    P(
        "review",
        "Trailhead 2 in three words",
        "Describe your Trailhead 2 in three words. We'll start: light, honest, fixable.",
        (TH, B, X),
        "launch",
        ("Community",),
        author="contributor",
        assignee="marketing",
    ),
    # --- sent back for changes --------------------------------------------------
    P(
        "changes",
        "Trailhead 2: lighter than ever",
        "Trailhead 2 is the lightest repairable backpack on the market.",
        (M, X),
        "launch",
        ("Product",),
        note="“Lightest on the market” is a claim we cannot prove. Say 1.1 kg instead.",
    ),
    P(
        "changes",
        "Repair month poster",
        "Repair month is on! Come and see us.",
        (FB, TH),
        "repair",
        ("Events",),
        author="contributor",
        assignee="content",
        note="Add the address and the opening hours, please.",
    ),
    P(
        "changes2",
        "Impact report: letter from our CEO",
        "Our CEO on this year's report: we are not a green company, we are a company trying "
        "to be less harmful every year.",
        (LI,),
        "impact",
        ("Behind the scenes",),
        note="Quote the letter exactly as it is in the report; no paraphrase.",
    ),
    P(
        "changes",
        "Staff: Slack etiquette",
        "A reminder of our Slack etiquette: threads for replies, no @channel after 18:00, "
        "emoji reactions instead of “thanks” messages, status when you're away, and…",
        (SL,),
        None,
        ("Internal",),
        note="Too long for an announcement: link to the handbook page instead.",
    ),
    # --- drafts -----------------------------------------------------------------
    P(
        "draft",
        "Idea: a map of our testers' favourite trails",
        "Idea: a map of the trails our testers love most, one post per trail, with the "
        "refuge they recommend.",
        (M, B),
        None,
        ("Community",),
        author="contributor",
        unscheduled=True,
    ),
    P(
        "draft",
        "Idea: your oldest Cairn bag",
        "Show us your oldest Cairn bag! The oldest one wins a free full service.",
        (TH, FB),
        "repair",
        ("Community",),
        author="contributor",
        assignee="content",
        unscheduled=True,
    ),
    P(
        "draft",
        "Idea: a winter layering guide",
        "Winter layering guide: base, mid, shell, and what fits in a 28 L pack.",
        (),
        None,
        (),
        author="contributor",
        unscheduled=True,
    ),
    P(
        "draft",
        "Giveaway rules",
        "Rules of the weekend giveaway: follow us, reply with your favourite trail, one entry "
        "per person. Winners drawn on Monday.",
        (M, FB),
        "launch",
        ("Community",),
    ),
    P(
        "draft",
        "Meet the technicians",
        "Meet the four people who fixed 2,140 bags this year.",
        (M, B, DC),
        "repair",
        ("Behind the scenes", "Repair"),
    ),
    P(
        "draft",
        "Why we don't do Black Friday",
        "We don't do Black Friday. The most sustainable backpack is the one you already own: "
        "this week our workshop repairs any bag, any brand, for free.",
        (M, B, X, LI, FB, TH),
        None,
        ("Repair",),
        author="marketing",
        assignee="content",
        variants={X: "No Black Friday here. This week we repair any bag, any brand, for free."},
    ),
    P(
        "draft",
        "Impact report: thank you",
        "Thank you for reading our impact report and for the hundreds of questions.",
        (LI,),
        "impact",
        (),
    ),
    P(
        "draft",
        "December trail conditions",
        "December trail conditions: which refuges stay open, and where snowshoes are a must.",
        (M, B),
        None,
        ("Community",),
        assignee="contributor",
    ),
)


class Command(BaseCommand):
    help = "Create the Demo workspace (Cairn Outdoor) with a login per role. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if any workspace exists (used by `make run` on every start).",
        )
        parser.add_argument(
            "--networks-url",
            default=DEMO_SERVER,
            help="Where the demo networks listen (calendar_project/demo_networks.py); "
            f"default {DEMO_SERVER}.",
        )

    def handle(self, *args, if_empty: bool = False, networks_url: str = DEMO_SERVER, **options):
        if if_empty and Workspace.objects.exists():
            self.stdout.write("Workspaces exist already: the demo is not loaded.")
            return
        if Workspace.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write("The Demo workspace exists already: nothing to do.")
            return
        try:
            with transaction.atomic():
                summary = _Builder(networks_url.rstrip("/")).build()
        except ServiceError as exc:
            raise CommandError(f"The demo could not be built: {exc}") from exc
        self._report(summary)

    def _report(self, summary: dict) -> None:
        self.stdout.write(self.style.SUCCESS("The Demo workspace is ready (Cairn Outdoor)."))
        states = ", ".join(f"{n} {state}" for state, n in summary["states"].items())
        self.stdout.write(
            f"  {summary['channels']} channels, {summary['campaigns']} campaigns, "
            f"{summary['objectives']} objectives, {summary['posts']} posts: {states}."
        )
        self.stdout.write(f"  Demo logins (password {DEMO_PASSWORD}):")
        for email, name, role, *_rest in PEOPLE.values():
            self.stdout.write(f"    {email:<28} {Role(role).label} ({name})")
        self.stdout.write(
            "  The workspace requires two-factor sign-in: the first sign-in as admin, marketing "
            "or content manager sets up an authenticator app (any TOTP app, or "
            "`oathtool --totp -b <secret>` with the secret the page shows)."
        )
        for email in summary["existing_users"]:
            self.stdout.write(f"  {email} existed already: its password was left unchanged.")


class _Builder:
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
                writing.comment_add(actor=self.people[who], post=post, body=text)
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
            post = writing.post_reschedule(
                actor=self.people["content"], post=post, scheduled_at=planned
            )
        return post

    def _step(self, post: Post, spec: P, step: str) -> Post:
        author = self.people[spec.author]
        if step == "submit":
            return writing.post_submit(actor=author, post=post)
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
            return writing.post_cancel(actor=who, post=post, reason=spec.note)
        if step == "retract":
            return writing.post_retract(actor=self.people["marketing"], post=post, reason=spec.note)
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
                return writing.post_decide(
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
