// An import's page: while the import runs, its state is fetched again every few seconds
// and the part of the page that shows it is replaced (no page reload, so the focus and a
// screen reader's place stay; the region is polite and live). It stops once the import
// has ended. Without JavaScript, the page reloads itself (a <noscript> refresh).
(function () {
  "use strict";
  var state = document.getElementById("import-state");
  if (!state || !state.dataset.poll) return;
  var every = Number(state.dataset.poll) * 1000;
  var failures = 0;

  function poll() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        failures = 0;
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("import-state");
        if (!next) return;
        if (next.innerHTML !== state.innerHTML) state.innerHTML = next.innerHTML;
        if (next.dataset.poll) window.setTimeout(poll, every);
        else delete state.dataset.poll;
      })
      .catch(function () {
        // A network hiccup: try again, more slowly, then leave it to a reload.
        failures += 1;
        if (failures < 10) window.setTimeout(poll, every * (failures + 1));
      });
  }
  window.setTimeout(poll, every);
})();
