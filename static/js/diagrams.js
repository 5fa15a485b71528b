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

// Step Functions executions (labs/_execution.html): choosing a state, by its button in the list or by its node
// in the graph, shows that state's input and output (one at a time), as the console's graph view does.
// Delegated on the document: results arrive later through htmx.
(function () {
  "use strict";
  function show(button) {
    var execution = button.closest(".sfn-execution");
    var open = button.getAttribute("aria-expanded") === "true";
    execution.querySelectorAll("button.sfn-state").forEach(function (other) {
      other.setAttribute("aria-expanded", "false");
      document.getElementById(other.getAttribute("aria-controls")).hidden = true;
    });
    execution.querySelectorAll("g.node.chosen, g.cluster.chosen").forEach(function (node) { node.classList.remove("chosen"); });
    if (open) { return; }
    button.setAttribute("aria-expanded", "true");
    var panel = document.getElementById(button.getAttribute("aria-controls"));
    panel.hidden = false;
    var drawn = execution.querySelector("[data-node='" + button.dataset.sfnNode + "']");
    if (drawn) { drawn.classList.add("chosen"); }
    panel.scrollIntoView({ block: "nearest" });
  }
  // Mermaid names a node's group "<diagram>-flowchart-n3-<k>" and a box (Parallel, Map) "n3".
  var NODE_ID = /(?:^|flowchart-)(n\d+)(?:-\d+)?$/;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.sfn-state");
    if (button) { show(button); return; }
    var figure = event.target.closest && event.target.closest(".sfn-execution figure.diagram");
    if (!figure) { return; }
    var drawn = event.target.closest("g.node, g.cluster");
    var match = drawn && drawn.id.match(NODE_ID);
    if (!match) { return; }
    drawn.setAttribute("data-node", match[1]);
    var chosen = figure.closest(".sfn-execution").querySelector("button.sfn-state[data-sfn-node='" + match[1] + "']");
    if (chosen) { show(chosen); }
  });
})();
