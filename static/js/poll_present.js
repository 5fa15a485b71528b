// The presenter's "Full screen" button: the poll section alone fills the projector (site header and
// search hidden); Esc or the button again leaves. Lives in a file, not inline, so a strict CSP allows it.
(function () {
  function toggle(button) {
    var target = document.querySelector(button.dataset.fullscreenTarget);
    if (!target) return;
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else if (target.requestFullscreen) {
      target.requestFullscreen();
    }
  }
  // The controls are swapped by htmx after every action, so listen on the document.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fullscreen-target]");
    if (button) toggle(button);
  });
  document.addEventListener("fullscreenchange", function () {
    var on = Boolean(document.fullscreenElement);
    document.querySelectorAll("[data-fullscreen-target]").forEach(function (button) {
      button.textContent = on ? "Leave full screen" : "Full screen";
    });
  });
})();
