// The calendar feeds page: a button with data-copy="<field id>" copies that field's value.
// The clipboard API needs a secure context and the user's permission; when it is missing
// or refused, the address is selected and the status line says how to copy it by hand.
(function () {
  "use strict";

  var status = document.getElementById("copy-status");

  function say(text) {
    if (!status) return;
    status.textContent = "";
    // A new text in the live region is announced even when it repeats the last one.
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;

    function byHand() {
      field.focus();
      field.select();
      say(status ? status.getAttribute("data-fallback") : "");
    }

    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () {
        say(button.getAttribute("data-copied"));
      }, byHand);
    } else {
      byHand();
    }
  });
})();
