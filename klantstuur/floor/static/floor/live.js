/* Live screens: an EventSource per [data-live] element; every message makes the
   element refetch its own fragment (rendered by the server for this viewer).
   Debounced, one fetch at a time; ages refresh every 30 s even when quiet. */
(function () {
  "use strict";
  function connect(el) {
    var frag = el.dataset.fragment, timer = null, busy = false, again = false;
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(frag, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          el.innerHTML = html;
          if (window.htmx) window.htmx.process(el);
          el.dataset.version = String((+el.dataset.version || 0) + 1);
        })
        .catch(function () {})
        .finally(function () { busy = false; if (again) { again = false; refresh(); } });
    }
    function soon() { clearTimeout(timer); timer = setTimeout(refresh, 25); }
    var source = new EventSource(el.dataset.live);
    source.addEventListener("hello", function () { el.classList.remove("live-offline"); soon(); });
    source.addEventListener("overflow", soon);
    source.onmessage = soon;
    source.onerror = function () { el.classList.add("live-offline"); };
    setInterval(refresh, 30000);
    el.liveRefresh = refresh;
  }
  function start() { document.querySelectorAll("[data-live]").forEach(connect); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
