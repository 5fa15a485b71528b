// The practice exam's countdown (#time-left, data-seconds); at zero the exam is submitted (#exam-submit).
(function () {
  var node = document.getElementById("time-left");
  if (!node) { return; }
  var end = Date.now() + 1000 * parseInt(node.dataset.seconds, 10);
  function show() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    var minutes = Math.floor(left / 60), seconds = left % 60;
    node.textContent = minutes + " min " + (seconds < 10 ? "0" : "") + seconds + " s";
    if (left === 0) { document.getElementById("exam-submit").submit(); return; }
    setTimeout(show, 1000);
  }
  show();
})();
