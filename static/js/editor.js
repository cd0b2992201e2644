// The post editor: warn before leaving with unsaved changes, show each chosen
// channel's own text, and upload, reorder and remove images and videos.
// Counting, limits and previews are computed by the server (htmx partials).
(function () {
  "use strict";
  var form = document.getElementById("post-form");
  if (!form) return;
  var dirty = false;
  form.addEventListener("input", function (event) {
    if (event.target.type !== "file") dirty = true;
  });
  form.addEventListener("change", function (event) {
    if (event.target.type !== "file") dirty = true;
  });
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

  // --- media -------------------------------------------------------------------
  var section = document.getElementById("media");
  if (!section) return;
  var input = document.getElementById("media-input");
  var list = document.getElementById("media-list");
  var status = document.getElementById("media-status");
  var error = document.getElementById("media-error");
  var progressBox = section.querySelector(".media-progress");
  var progress = document.getElementById("media-progress");
  var progressLabel = document.getElementById("media-progress-label");
  var busy = false;

  function field(name) { return form.querySelector('[name="' + name + '"]'); }
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }
  function say(message) { error.textContent = ""; status.textContent = message || ""; }
  function complain(message) { status.textContent = ""; error.textContent = message; }

  function send(url, data, onProgress) {
    return new Promise(function (resolve) {
      var request = new XMLHttpRequest();
      request.open("POST", url);
      request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      request.responseType = "json";
      if (onProgress) {
        request.upload.addEventListener("progress", function (event) {
          if (event.lengthComputable) onProgress(event.loaded / event.total);
        });
      }
      request.addEventListener("load", function () {
        var answer = request.response;
        if (!answer || typeof answer !== "object") {
          answer = { ok: false, message: section.dataset.failed };
        }
        resolve(answer);
      });
      request.addEventListener("error", function () {
        resolve({ ok: false, message: section.dataset.failed });
      });
      request.send(data);
    });
  }

  // Apply the server's answer: the new list, the new version, and, for the first
  // file of a new post, the address of the draft that was saved with it.
  function apply(answer) {
    var typed = {};
    list.querySelectorAll("textarea[name^=alt_]").forEach(function (box) {
      typed[box.name] = box.value;
    });
    list.innerHTML = answer.html;
    list.querySelectorAll("textarea[name^=alt_]").forEach(function (box) {
      if (Object.prototype.hasOwnProperty.call(typed, box.name)) box.value = typed[box.name];
    });
    field("version").value = answer.version;
    if (field("post").value !== String(answer.post)) {
      field("post").value = answer.post;
      form.action = answer.edit_url;
      window.history.replaceState(null, "", answer.edit_url);
      dirty = false; // the draft was saved with everything typed so far
    }
    section.dataset.uploadUrl = answer.upload_url;
    form.dispatchEvent(new CustomEvent("media-changed"));
  }

  function baseData() {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", field("csrfmiddlewaretoken").value);
    data.append("version", field("version").value);
    return data;
  }

  async function upload(files) {
    var max = Number(section.dataset.maxBytes);
    busy = true;
    input.disabled = true;
    progressBox.hidden = false;
    var problems = [];
    var done = [];
    for (var i = 0; i < files.length; i++) {
      var file = files[i];
      if (file.size > max) {
        problems.push(fill(section.dataset.tooLarge, { name: file.name }));
        continue;
      }
      progress.value = 0;
      progressLabel.textContent = fill(section.dataset.uploading, {
        name: file.name, n: i + 1, total: files.length
      });
      // A post never saved goes with all its fields, so the draft keeps the text.
      var data = field("post").value ? baseData() : new FormData(form);
      data.append("file", file, file.name);
      var answer = await send(section.dataset.uploadUrl, data, function (part) {
        progress.value = Math.round(part * 100);
      });
      progress.value = 100;
      if (answer.ok) {
        apply(answer);
        if (answer.message) done.push(answer.message);
        if (answer.error) problems.push(answer.error);
      } else {
        problems.push(answer.message);
      }
    }
    progressLabel.textContent = section.dataset.finished;
    input.disabled = false;
    busy = false;
    say(done.join(" "));
    if (problems.length) complain(problems.join(" "));
  }

  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files);
    input.value = "";
    if (files.length && !busy) upload(files);
  });

  list.addEventListener("click", async function (event) {
    var button = event.target.closest("button[data-media-action]");
    if (!button || busy) return;
    var action = button.dataset.mediaAction;
    if (action === "remove" && !window.confirm(button.dataset.confirm)) return;
    var item = button.closest("[data-media-id]");
    var id = item ? item.dataset.mediaId : null;
    var data = baseData();
    if (action === "move") data.append("position", button.dataset.position);
    // A channel's own files: the numbers typed, or all of them again.
    if (action === "choose") data.append("order", document.getElementById(button.dataset.input).value);
    if (action === "choose-all") data.append("all", "1");
    busy = true;
    list.setAttribute("aria-busy", "true");
    var answer = await send(button.dataset.url, data);
    list.removeAttribute("aria-busy");
    busy = false;
    if (!answer.ok) { complain(answer.message); return; }
    apply(answer);
    say(answer.message);
    // Keep the keyboard where it was: on the same button of the moved file, or
    // on the next file after a removal.
    var target = null;
    if (action === "move") {
      var moved = list.querySelector('[data-media-id="' + id + '"]');
      if (moved) {
        target = moved.querySelector('button[data-direction="' + button.dataset.direction + '"]');
        if (target && target.disabled) target = moved.querySelector("button[data-direction]:not([disabled])");
      }
    } else if (action === "remove") {
      target = list.querySelector("button[data-media-action=remove]") || input;
    } else {
      target = list.querySelector('[data-url="' + button.dataset.url + '"][data-media-action="choose"]');
    }
    if (target) target.focus();
  });
})();
