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

  // hx-trigger="every 5s" plus data-poll-visible-only: skip a poll while the tab is hidden, so a forgotten
  // tab costs the server nothing. (htmx's [condition] filters are evaluated with eval, which the policy refuses.)
  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail && event.detail.elt;
    if (element && element.hasAttribute("data-poll-visible-only") && document.visibilityState !== "visible") {
      event.preventDefault();
    }
  });
})();
