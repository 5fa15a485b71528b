// Draw every <pre class="mermaid"> block of the page. "strict" keeps diagram labels from carrying HTML or scripts.
window.addEventListener("DOMContentLoaded", function () {
  window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral" });
  window.mermaid.run({ querySelector: "pre.mermaid" });
});
