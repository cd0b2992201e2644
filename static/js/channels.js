// The channel and key dates pages: a form that waits on a network (save, test, import)
// shows that it is busy, and cannot be sent twice by an impatient second click.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-busy-label]");
  forms.forEach(function (form) {
    var button = form.querySelector("button[type=submit]");
    if (!button) return;
    var label = button.innerHTML;
    form.addEventListener("submit", function () {
      if (button.disabled) return;
      form.setAttribute("aria-busy", "true");
      // Disabled after this event, so that the browser still sends the form.
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = form.dataset.busyLabel;
      }, 0);
    });
    // Coming back with the browser's Back button shows the page as it was left.
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) return;
      form.removeAttribute("aria-busy");
      button.disabled = false;
      button.innerHTML = label;
    });
  });
})();
