// The post editor's "Good times" box: a button with data-good-time="YYYY-MM-DDTHH:MM"
// fills the time field named by the box's data-time-field, and tells the form it changed.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-good-time]");
    if (!button) return;
    var box = button.closest("[data-time-field]");
    var field = box && document.getElementById(box.getAttribute("data-time-field"));
    if (!field) return;
    field.value = button.getAttribute("data-good-time");
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.focus();
  });
})();
