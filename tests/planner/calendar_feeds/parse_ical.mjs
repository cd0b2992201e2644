// Parse an iCalendar file with Mozilla's ical.js (npm) and print what it read as JSON:
// the calendar's properties and every event. Called by tests/planner/test_feeds.py;
// a parse error exits non-zero with the message on stderr.
//
//   node tests/planner/parse_ical.mjs feed.ics
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const calendar = new ICAL.Component(ICAL.parse(readFileSync(process.argv[2], "utf8")));

function when(time) {
  if (!time) return null;
  return time.isDate ? { date: time.toString() } : { utc: time.toJSDate().toISOString() };
}

const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    summary: event.summary,
    description: event.description,
    start: when(event.startDate),
    end: when(event.endDate),
    sequence: event.sequence,
    status: component.getFirstPropertyValue("status"),
    transp: component.getFirstPropertyValue("transp"),
    url: component.getFirstPropertyValue("url"),
    dtstamp: when(component.getFirstPropertyValue("dtstamp")),
    categories: component.getAllProperties("categories").flatMap((p) => p.getValues()),
  };
});

console.log(
  JSON.stringify({
    version: calendar.getFirstPropertyValue("version"),
    prodid: calendar.getFirstPropertyValue("prodid"),
    name: calendar.getFirstPropertyValue("name"),
    wrCalname: calendar.getFirstPropertyValue("x-wr-calname"),
    refresh: calendar.getFirstProperty("refresh-interval")?.getFirstValue()?.toString(),
    method: calendar.getFirstPropertyValue("method"),
    events,
  }),
);
