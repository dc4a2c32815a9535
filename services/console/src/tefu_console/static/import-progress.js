// The import page's progress bar: polls the console's JSON endpoint once a second while the
// registry works through the file, then reloads the page to show the row errors.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box || box.getAttribute("data-done") === "true") { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("progress");
  var failures = 0;

  function show(state) {
    bar.value = state.percent;
    bar.textContent = state.percent + "%";
    box.querySelectorAll("[data-field]").forEach(function (el) {
      var name = el.getAttribute("data-field");
      if (name in state) { el.textContent = state[name]; }
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (state) {
        failures = 0;
        show(state);
        if (state.done) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () {
        failures += 1;  // a service briefly away: keep trying, more slowly
        window.setTimeout(poll, Math.min(10000, 1000 * (failures + 1)));
      });
  }

  window.setTimeout(poll, 500);
})();
