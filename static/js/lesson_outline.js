// On a phone the course outline follows the lesson; start it collapsed there, so "Course contents" is one line
// to open rather than a screen of links. Wide screens keep it open in the left column.
(function () {
  var outline = document.querySelector(".outline-toggle");
  if (!outline) return;
  var phone = window.matchMedia("(max-width: 52rem)");
  function fit() { outline.open = !phone.matches; }
  fit();
  phone.addEventListener("change", fit);
  // "Course contents ↓" opens it on the way there
  document.addEventListener("click", function (event) {
    if (event.target.closest('a[href="#course-contents"]')) outline.open = true;
  });
})();
