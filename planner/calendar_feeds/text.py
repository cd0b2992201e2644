"""The text of a calendar feed: one VEVENT per post, campaign span and key date.

``calendar_feeds.content`` reads the rows; ``calendar_feeds.ical`` writes iCalendar lines.
Posts are moments in UTC (DTEND 15 minutes later), campaigns and all-day key dates whole days
(DTEND the day after the last one). Every event keeps its UID for life, carries its
row's last change as DTSTAMP (not the time of the request, so the text only changes
when something did) and is TRANSPARENT (a planned post does not make anyone busy).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from planner.calendar_feeds import ical
from planner.calendar_feeds.content import EVENT_LENGTH, TEXT_EXCERPT, Contents, PostRow
from planner.workflow import APPROVED_STATES, State

PRODID = "-//Maillon//Editorial calendar//EN"
STATUS = {
    **dict.fromkeys(State.values, "TENTATIVE"),
    **dict.fromkeys(APPROVED_STATES, "CONFIRMED"),
    State.CANCELLED: "CANCELLED",
    State.RETRACTED: "CANCELLED",
}


def _host() -> str:
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]


def render(contents: Contents, language: str) -> bytes:
    """The iCalendar text of a feed: one VEVENT per post, campaign span and key date."""
    with translation.override(language):
        return _render(contents)


def _summary(row: PostRow) -> str:
    if row.title:
        return row.title
    first = row.text.strip().split("\n", 1)[0].strip()
    if len(first) > 60:
        return first[:60] + "…"
    return first or f"#{row.pk}"


def _render(contents: Contents) -> bytes:
    site = settings.SITE_URL
    # reverse() once: a feed has thousands of events.
    post_url = site + reverse("planner:post_detail", args=[999999999]).replace("999999999", "{}")
    campaign_url = site + reverse("planner:campaign_detail", args=[999999999]).replace(
        "999999999", "{}"
    )
    host = _host()
    states = {state: str(label) for state, label in State.choices}
    state_word, channels_word, campaign_word = _("Status"), _("Channels"), _("Campaign")
    text, utc, fold = ical.text, ical.utc, ical.fold

    out = ical.Writer()
    out.calendar_start(prodid=PRODID, name=contents.name)
    add = out.lines.append
    for row in contents.posts:
        url = post_url.format(row.pk)
        names = contents.channels.get(row.pk, [])
        categories = [row.campaign, *names] if row.campaign else names
        body = row.text if len(row.text) <= TEXT_EXCERPT else row.text[:TEXT_EXCERPT] + "…"
        about = f"{state_word}: {states.get(row.state, row.state)}"
        if names:
            about += f"\n{channels_word}: {', '.join(names)}"
        if row.campaign:
            about += f"\n{campaign_word}: {row.campaign}"
        stamp = utc(row.updated_at)
        add("BEGIN:VEVENT")
        add(f"UID:{row.uid}@maillon")
        add(f"DTSTAMP:{stamp}")
        add(f"LAST-MODIFIED:{stamp}")
        add(f"SEQUENCE:{row.sequence}")
        add(f"DTSTART:{utc(row.scheduled_at)}")
        add(f"DTEND:{utc(row.scheduled_at + EVENT_LENGTH)}")
        add(fold(f"SUMMARY:{text(_summary(row))}"))
        add(fold("DESCRIPTION:" + text(about + "\n\n" + body + "\n\n" + url)))
        if categories:
            add(fold(f"CATEGORIES:{ical.text_list(categories)}"))
        add(f"STATUS:{STATUS.get(row.state, 'TENTATIVE')}")
        add(fold(f"URL:{url}"))
        add("TRANSP:TRANSPARENT")
        add("END:VEVENT")
    for campaign in contents.campaigns:
        url = campaign_url.format(campaign.pk)
        stamp = utc(campaign.updated_at)
        add("BEGIN:VEVENT")
        add(fold(f"UID:campaign-{campaign.pk}@{host}"))
        add(f"DTSTAMP:{stamp}")
        add(f"LAST-MODIFIED:{stamp}")
        add(f"DTSTART;VALUE=DATE:{ical.date(campaign.starts_on)}")
        # DTEND of a DATE event is exclusive: the day after the last one.
        add(f"DTEND;VALUE=DATE:{ical.date(campaign.ends_on + dt.timedelta(days=1))}")
        add(fold(f"SUMMARY:{text(_('Campaign: %(name)s') % {'name': campaign.name})}"))
        add(fold(f"DESCRIPTION:{text(url)}"))
        add(fold(f"CATEGORIES:{text(campaign.name)}"))
        add("STATUS:CONFIRMED")
        add(fold(f"URL:{url}"))
        add("TRANSP:TRANSPARENT")
        add("END:VEVENT")
    key_date_word = _("Key date")
    for key_date in contents.key_dates:
        stamp = utc(key_date.updated_at)
        add("BEGIN:VEVENT")
        add(f"UID:{key_date.uid}@maillon")
        add(f"DTSTAMP:{stamp}")
        add(f"LAST-MODIFIED:{stamp}")
        add(f"SEQUENCE:{key_date.sequence}")
        if key_date.all_day:
            add(f"DTSTART;VALUE=DATE:{ical.date(key_date.starts_on)}")
            add(f"DTEND;VALUE=DATE:{ical.date(key_date.ends_on + dt.timedelta(days=1))}")
        else:
            add(f"DTSTART:{utc(key_date.starts_at)}")
            # A zero-length timed event is legal but renders badly: give it the post length.
            ends_at = max(key_date.ends_at, key_date.starts_at + EVENT_LENGTH)
            add(f"DTEND:{utc(ends_at)}")
        add(fold(f"SUMMARY:{text(key_date.title)}"))
        if key_date.description:
            add(fold(f"DESCRIPTION:{text(key_date.description)}"))
        source = key_date.source.name if key_date.source else ""
        add(fold(f"CATEGORIES:{ical.text_list([key_date_word, *([source] if source else [])])}"))
        add("STATUS:CONFIRMED")
        add("TRANSP:TRANSPARENT")
        add("END:VEVENT")
    out.calendar_end()
    return bytes(out)
