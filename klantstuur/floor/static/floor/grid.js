/* The menu grid's seat tabs: show the chosen seat's panel. Without this script every
   panel is shown, one under the other (the form works the same). */
(function () {
  "use strict";
  function show(root) {
    var chosen = root.querySelector(".tab-radio:checked");
    root.querySelectorAll("[data-seat-panel]").forEach(function (panel) {
      panel.hidden = !!chosen && panel.getAttribute("data-seat-panel") !== chosen.value;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("tab-radio")) {
      show(event.target.closest(".seat-tabs"));
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".seat-tabs").forEach(show);
  });
})();
