// Draw every <pre class="mermaid"> block of the page. "strict" keeps diagram labels from carrying HTML or scripts.
window.addEventListener("DOMContentLoaded", function () {
  window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral" });

  // Mermaid measures text as it draws, so a diagram inside a closed <details> is drawn when it opens.
  function drawVisible() {
    var nodes = Array.prototype.filter.call(
      document.querySelectorAll("pre.mermaid:not([data-processed])"),
      function (node) { return !node.closest("details:not([open])"); }
    );
    if (nodes.length) {
      window.mermaid.run({ nodes: nodes }).then(function () { nodes.forEach(keepReadable); });
    }
  }

  // Mermaid fits a diagram to the page's width, so a long trace (ten lifelines, wide labels) would be
  // drawn at a third of its size, its text unreadable. Keep at least MIN_SCALE of Mermaid's own size:
  // the figure then scrolls (sideways, and down within a window-high box, see site.css).
  var MIN_SCALE = 0.75;
  function keepReadable(node) {
    var box = node.closest(".diagram");  // lab figures only; lessons keep Mermaid's fitting
    var svg = node.querySelector("svg");
    if (!box) { return; }
    var natural = svg && svg.viewBox && svg.viewBox.baseVal ? svg.viewBox.baseVal.width : 0;
    if (!natural || svg.getBoundingClientRect().width >= natural * MIN_SCALE) { return; }
    svg.style.maxWidth = "none";
    svg.style.width = Math.round(natural * MIN_SCALE) + "px";
    box.classList.add("scrolls");
  }

  drawVisible();
  // Lab results arrive later, swapped in by htmx (the status polling); draw what they brought.
  document.body.addEventListener("htmx:afterSettle", drawVisible);
  // "toggle" does not bubble: listen in the capture phase for any <details> opening.
  document.addEventListener("toggle", drawVisible, true);
});
