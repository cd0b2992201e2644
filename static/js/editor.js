// The post editor: warn before leaving with unsaved changes.
(function () {
  "use strict";
  var form = document.getElementById("post-form");
  if (!form) return;
  var dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  // Show a channel's own-text box only when the channel is chosen.
  function showVariants() {
    form.querySelectorAll("input[name=channels]").forEach(function (box) {
      var details = form.querySelector('details[data-variant-for="' + box.value + '"]');
      if (details) details.hidden = !box.checked;
    });
  }
  form.addEventListener("change", showVariants);
  showVariants();
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = form.dataset.dirtyWarning;
  });
})();
