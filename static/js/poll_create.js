// Start-a-poll page: "Select all" per lesson group, and ticking any question switches the sequence menu to
// "none" (ticked questions are what runs), so the page never says one thing and does another.
(function () {
  document.addEventListener("change", function (event) {
    var box = event.target;
    var sequence = document.getElementById("sequence");
    if (box.dataset.selectAll) {
      document.querySelectorAll('input[data-group="' + box.dataset.selectAll + '"]').forEach(function (item) {
        item.checked = box.checked;
      });
    }
    if ((box.dataset.selectAll || box.dataset.group) && box.checked && sequence) sequence.value = "";
  });
})();
