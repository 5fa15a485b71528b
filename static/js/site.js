// Behaviour that pages declare with data-* attributes, because the Content-Security-Policy allows no inline
// scripts or on* attributes (config/settings/base.py, "Content-Security-Policy").
(function () {
  // <form data-confirm="Delete this quiz?">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  // <select data-reload-param="kind">: reload the page with the chosen value in the query string.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.dataset && field.dataset.reloadParam) {
      var query = new URLSearchParams(window.location.search);
      query.set(field.dataset.reloadParam, field.value);
      window.location.search = query.toString();
    }
  });

  // <div hx-trigger="load, refresh" data-refresh-from="#question-form">: fire "refresh" 400 ms after the last
  // input or change in that form, except for events from inside the element itself (the question preview
  // re-renders as the author types, not as the author tries the preview; an htmx [filter] would need eval).
  var refreshTimers = new WeakMap();
  function refreshWatchers(event) {
    document.querySelectorAll("[data-refresh-from]").forEach(function (element) {
      var source = document.querySelector(element.dataset.refreshFrom);
      if (!source || !source.contains(event.target) || element.contains(event.target)) { return; }
      window.clearTimeout(refreshTimers.get(element));
      refreshTimers.set(element, window.setTimeout(function () { window.htmx.trigger(element, "refresh"); }, 400));
    });
  }
  document.addEventListener("input", refreshWatchers);
  document.addEventListener("change", refreshWatchers);

  // hx-trigger="every 5s" plus data-poll-visible-only: skip a poll while the tab is hidden, so a forgotten
  // tab costs the server nothing. (htmx's [condition] filters are evaluated with eval, which the policy refuses.)
  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail && event.detail.elt;
    if (element && element.hasAttribute("data-poll-visible-only") && document.visibilityState !== "visible") {
      event.preventDefault();
    }
  });
})();
