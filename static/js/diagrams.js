// Draw every <pre class="mermaid"> block of the page. "strict" keeps diagram labels from carrying HTML or scripts.
window.addEventListener("DOMContentLoaded", function () {
  window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral" });

  // Mermaid measures text as it draws, so a diagram inside a closed <details> is drawn when it opens.
  function drawVisible() {
    var nodes = Array.prototype.filter.call(
      document.querySelectorAll("pre.mermaid:not([data-processed])"),
      function (node) { return !node.closest("details:not([open])"); }
    );
    if (nodes.length) { window.mermaid.run({ nodes: nodes }); }
  }

  drawVisible();
  // Lab results arrive later, swapped in by htmx (the status polling); draw what they brought.
  document.body.addEventListener("htmx:afterSettle", drawVisible);
  // "toggle" does not bubble: listen in the capture phase for any <details> opening.
  document.addEventListener("toggle", drawVisible, true);
});
