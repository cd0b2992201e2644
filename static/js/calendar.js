// The calendar page: FullCalendar fed by /calendar/events/, drag and drop checked by
// the server. Times are the viewer's wall-clock times (the widget runs in UTC mode and
// the server converts), so what you see is your own time zone's.
(function () {
  "use strict";

  // Each network's icon (Bootstrap Icons) and name, for the channels of a post.
  var NETWORKS = {
    mastodon: ["mastodon", "Mastodon"],
    bluesky: ["bluesky", "Bluesky"],
    x: ["twitter-x", "X"],
    linkedin: ["linkedin", "LinkedIn"],
    facebook: ["facebook", "Facebook"],
    instagram: ["instagram", "Instagram"],
    threads: ["threads", "Threads"],
    slack: ["slack", "Slack"],
    discord: ["discord", "Discord"],
    teams: ["microsoft-teams", "Microsoft Teams"],
    webhook: ["broadcast", "Webhook"],
  };

  function network(kind) {
    return NETWORKS[kind] || ["broadcast", kind];
  }

  function start() {
    var element = document.getElementById("calendar");
    if (!element || !window.FullCalendar) return;
    var status = document.getElementById("calendar-status");

    function connectionText(props) {
      if (props.connectionRisk === "disconnected") return element.dataset.disconnected;
      if (props.connectionRisk === "expires") return element.dataset.accessExpires;
      return "";
    }
    // On the calendar page the filters and the visible window live in the URL; a
    // calendar embedded in a campaign's page shows that campaign only and leaves the
    // page's URL alone.
    var campaign = element.dataset.campaign;
    var filters = new URLSearchParams(campaign ? "" : window.location.search);
    var query = {};
    ["campaign", "channel", "state", "assignee", "label"].forEach(function (name) {
      if (filters.get(name)) query[name] = filters.get(name);
    });
    if (campaign) query.campaign = campaign;

    function say(message, kind) {
      status.textContent = message;
      status.className = "alert alert-" + kind;
    }

    function wallClock(date) {
      return date.toISOString().slice(0, 16);
    }

    // Ask the server to move a post; it checks permissions, the past and the state.
    // `undo` puts the post back where it was when the server refuses.
    function move(event, when, undo) {
      var body = new URLSearchParams({ when: wallClock(when) });
      return fetch(element.dataset.moveUrl.replace("/0/", "/" + event.id + "/"), {
        method: "POST",
        headers: { "X-CSRFToken": element.dataset.csrf },
        body: body,
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (result) {
          if (result.ok) {
            say(result.data.message, "success");
            return true;
          }
          undo();
          say(result.data.error || element.dataset.error, "danger");
          return false;
        })
        .catch(function () {
          undo();
          say(element.dataset.error, "danger");
          return false;
        });
    }

    // The keyboard's drag and drop: on a focused post, Alt+Left/Right moves it a day,
    // Alt+Up/Down a week. The post keeps the focus so moves can be chained.
    var KEY_DAYS = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
    function onKey(keyEvent) {
      if (!keyEvent.altKey || !(keyEvent.key in KEY_DAYS)) return;
      var target = keyEvent.target.closest("[data-event-id]");
      if (!target) return;
      var event = calendar.getEventById(target.dataset.eventId);
      if (!event || !event.startEditable) return;
      keyEvent.preventDefault();
      var from = event.start;
      var to = new Date(from.getTime() + KEY_DAYS[keyEvent.key] * 86400000);
      event.setStart(to);
      move(event, to, function () {
        event.setStart(from);
      }).then(function () {
        // FullCalendar redraws the event: give the focus back to its new element.
        var again = element.querySelector('[data-event-id="' + event.id + '"]');
        if (again) again.focus();
      });
    }

    var calendar = new FullCalendar.Calendar(element, {
      timeZone: "UTC",
      locale: element.dataset.locale,
      initialView: filters.get("view") || "dayGridMonth",
      initialDate: filters.get("date") || element.dataset.initialDate || undefined,
      headerToolbar: {
        left: "prev,next today",
        center: "title",
        right: "dayGridMonth,timeGridWeek,listWeek",
      },
      height: "auto",
      nowIndicator: true,
      editable: element.dataset.canSchedule === "true",
      eventStartEditable: true,
      eventDurationEditable: false,
      events: { url: element.dataset.eventsUrl, extraParams: query },
      datesSet: function (info) {
        if (campaign) return;
        var params = new URLSearchParams(window.location.search);
        params.set("view", info.view.type);
        params.set("date", info.view.currentStart.toISOString().slice(0, 10));
        window.history.replaceState(null, "", "?" + params.toString());
      },
      eventOrder: "-allDay,start,title",
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      eventContent: function (arg) {
        var props = arg.event.extendedProps;
        if (props.kind === "keydate") {
          // A holiday, launch or event: a flag, its time if it has one, its title.
          var day = document.createElement("div");
          day.className = "maillon-event";
          var flag = document.createElement("i");
          flag.className = "bi bi-flag-fill me-1";
          flag.setAttribute("aria-hidden", "true");
          day.append(flag, (arg.timeText ? arg.timeText + " " : "") + arg.event.title);
          return { domNodes: [day] };
        }
        if (props.kind === "campaign") {
          var span = document.createElement("div");
          span.className = "maillon-event";
          span.textContent = arg.event.title;
          return { domNodes: [span] };
        }
        var wrapper = document.createElement("div");
        wrapper.className = "maillon-event";
        var badge = document.createElement("span");
        badge.className = "badge state-" + props.state + " me-1";
        badge.textContent = props.stateLabel;
        var title = document.createElement("span");
        title.textContent = (arg.timeText ? arg.timeText + " " : "") + arg.event.title;
        var channels = document.createElement("span");
        channels.className = "me-1 channel-icons";
        props.channels.forEach(function (kind) {
          var icon = document.createElement("i");
          icon.className = "bi bi-" + network(kind)[0];
          icon.title = network(kind)[1];
          icon.dataset.channel = kind;
          channels.append(icon);
        });
        // Icons before the title: a long title is cut at the cell's edge, not them.
        wrapper.append(badge, channels);
        if (props.atRisk) {
          // Due soon and not approved: a marker, named for those who cannot see it.
          var risk = document.createElement("i");
          risk.className = "bi bi-exclamation-triangle-fill text-bg-warning rounded px-1 me-1 at-risk";
          risk.title = element.dataset.atRisk;
          risk.setAttribute("role", "img");
          risk.setAttribute("aria-label", element.dataset.atRisk);
          wrapper.append(risk);
        }
        var connection = connectionText(props);
        if (connection) {
          // A channel refuses Maillon, or its access ends before the post's time.
          var broken = document.createElement("i");
          broken.className =
            "bi bi-plug-fill rounded px-1 me-1 connection-risk " +
            (props.connectionRisk === "disconnected" ? "text-bg-danger" : "text-bg-warning");
          broken.title = connection;
          broken.dataset.connectionRisk = props.connectionRisk;
          broken.setAttribute("role", "img");
          broken.setAttribute("aria-label", connection);
          wrapper.append(broken);
        }
        wrapper.append(title);
        return { domNodes: [wrapper] };
      },
      eventDidMount: function (arg) {
        var props = arg.event.extendedProps;
        if (props.kind === "keydate") {
          // "Key date: Bastille Day" (or "Key date: 18:00 Launch livestream").
          var when = arg.event.allDay ? "" : arg.event.start.toISOString().slice(11, 16) + " ";
          arg.el.setAttribute("aria-label", element.dataset.keyDate + ": " + when + arg.event.title);
          return;
        }
        if (props.kind === "campaign") return;
        arg.el.dataset.eventId = arg.event.id;
        if (arg.event.startEditable) {
          arg.el.setAttribute("aria-keyshortcuts", "Alt+ArrowLeft Alt+ArrowRight Alt+ArrowUp Alt+ArrowDown");
        }
        var time = arg.event.start.toISOString().slice(11, 16);
        arg.el.setAttribute(
          "aria-label",
          time +
            " " +
            arg.event.title +
            ", " +
            props.stateLabel +
            (props.atRisk ? ", " + element.dataset.atRisk : "") +
            (connectionText(props) ? ", " + connectionText(props) : "") +
            ", " +
            props.channels
              .map(function (kind) {
                return network(kind)[1];
              })
              .join(", ")
        );
      },
      dateClick: function (info) {
        if (element.dataset.canSchedule !== "true") return;
        // A day in the month view plans at 09:00; a slot in the week view at its time.
        var at = info.allDay ? info.dateStr + "T09:00" : wallClock(info.date);
        var plan = "?at=" + encodeURIComponent(at) + (campaign ? "&campaign=" + campaign : "");
        window.location.href = element.dataset.newUrl + plan;
      },
      eventDrop: function (info) {
        move(info.event, info.event.start, info.revert);
      },
    });
    calendar.render();
    element.addEventListener("keydown", onKey);
    // The toolbar's chevrons are decorative: the buttons carry their own titles.
    element.querySelectorAll(".fc-icon").forEach(function (icon) {
      icon.setAttribute("aria-hidden", "true");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
