"""The demo's cast, as data: Cairn Outdoor, a fictional maker of repairable backpacks, its
people (one per role), channels of every kind pointing at the local demo networks, labels,
and about sixty posts with the route each takes through the workflow. No I/O: the builder
(``planner.demo.builder``) writes them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time

from accounts.models import Role
from planner.models import (
    ChannelKind,
)
from planner.workflow import State

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
