// The lab editor: CodeMirror on each file's textarea, tabs between files, drafts saved as you type.
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  if (!form || !window.CodeMirror) { return; }
  var modes = { py: "python", json: { name: "javascript", json: true }, yaml: "yaml", yml: "yaml" };
  var editors = [];
  var saveTimer = null;

  form.querySelectorAll("textarea.code").forEach(function (area) {
    var extension = area.dataset.filename.split(".").pop();
    var editor = window.CodeMirror.fromTextArea(area, {
      mode: modes[extension] || null,
      lineNumbers: true,
      // CodeMirror's hidden input gets a label; Tab indents, so Esc lets a keyboard user leave (WCAG 2.1.2)
      screenReaderLabel: "Code of " + area.dataset.filename + " (Esc, then Tab, leaves the editor)",
      indentUnit: extension === "py" ? 4 : 2,
      matchBrackets: true,
      autoCloseBrackets: true,
      extraKeys: { Esc: function (cm) { cm.state.leaving = true; cm.getInputField().blur(); }, Tab: function (cm) { cm.replaceSelection(cm.getOption("indentWithTabs") ? "\t" : " ".repeat(cm.getOption("indentUnit"))); } },
    });
    editor.on("change", function () {
      editor.save(); // keep the textarea current: Run checks and Submit post the textareas
      clearTimeout(saveTimer);
      // A draft is saved 1.5 s after the last keystroke (#draft-saver's hx-trigger is this event).
      saveTimer = setTimeout(function () { window.htmx.trigger("#draft-saver", "draft-save"); }, 1500);
    });
    // The scroller is a tab stop that hands focus to the editor, so the code that scrolls is reachable by
    // keyboard (axe: scrollable-region-focusable); CodeMirror itself gives it tabindex=-1.
    var scroller = editor.getScrollerElement();
    scroller.setAttribute("tabindex", "0");
    scroller.addEventListener("focus", function (event) {
      // coming from the editor itself (Esc, then Tab): stay here, so the next Tab moves on past the editor
      if (editor.state.leaving || event.relatedTarget === editor.getInputField()) { editor.state.leaving = false; return; }
      editor.focus();
    });
    editors.push(editor);
  });

  // Reset to starter: a draft save still waiting would write the old code back after the reset.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target && event.target.id === "draft-reset") { clearTimeout(saveTimer); }
  });

  form.querySelectorAll("[role=tab]").forEach(function (tab, index) {
    tab.addEventListener("click", function () {
      form.querySelectorAll("[role=tab]").forEach(function (other, otherIndex) {
        var active = otherIndex === index;
        other.classList.toggle("active", active);
        other.setAttribute("aria-selected", active ? "true" : "false");
        document.getElementById(other.getAttribute("aria-controls")).hidden = !active;
      });
      editors[index].refresh(); // CodeMirror measures itself only when visible
      editors[index].focus();
    });
  });
})();

// Enter in the saved-event name box saves the event; left alone it would submit the editor form with its
// first button (Run checks). Listened for on the document: htmx replaces the box after each save.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Enter" || !event.target || event.target.id !== "saved-event-name") { return; }
  event.preventDefault();
  document.getElementById("saved-event-save").click();
});
