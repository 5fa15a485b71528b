// A box that scrolls (a wide code block or table, the lab editor) must be reachable by keyboard, or its hidden
// part can only be read with a mouse (WCAG 2.1.1; axe's scrollable-region-focusable). Boxes that scroll and hold
// nothing focusable get tabindex=0 so arrow keys scroll them; checked on load and after each htmx swap.
(function () {
  "use strict";
  var FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";
  function scrolls(el) {
    var style = getComputedStyle(el);
    var x = /(auto|scroll)/.test(style.overflowX) && el.scrollWidth > el.clientWidth;
    var y = /(auto|scroll)/.test(style.overflowY) && el.scrollHeight > el.clientHeight;
    return x || y;
  }
  // A box hidden from assistive technology (a diagram whose list beside it is the text alternative) stays out
  // of the tab order: focusing what a screen reader cannot announce is axe's aria-hidden-focus.
  var BOXES = ".highlight, pre, table, .table-scroll, .CodeMirror-scroll, .diagram, .submitted-file";
  function mark(root) {
    root.querySelectorAll(BOXES).forEach(function (el) {
      if (el.hasAttribute("tabindex") || !scrolls(el) || el.querySelector(FOCUSABLE)) { return; }
      if (el.closest("[aria-hidden='true']")) { return; }
      el.setAttribute("tabindex", "0");
      if (!el.hasAttribute("role")) { el.setAttribute("role", "region"); }
      if (!el.hasAttribute("aria-label")) { el.setAttribute("aria-label", "Scrollable content"); }
    });
  }
  function markAll() { mark(document); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", markAll); } else { markAll(); }
  window.addEventListener("load", markAll); // diagrams and the editor settle their size late
  document.addEventListener("htmx:afterSettle", function (event) { mark(event.target); });
})();
