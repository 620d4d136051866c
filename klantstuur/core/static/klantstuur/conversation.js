/* The live conversation on a need page (console and portal), issue #11.
   [data-need-live] holds the timeline; its EventSource (live.conversation) says when a
   journal event of the need is written, and the element refetches its own fragment,
   rendered by the server for this viewer. EventSource reconnects by itself and sends
   Last-Event-ID; on "hello" the fragment is fetched again, so nothing is missed.
   "presence" events show whether the other side (data-watch) has the page open. */
(function () {
  "use strict";
  var el = document.querySelector("[data-need-live]");
  if (!el || !window.EventSource) return;
  var presence = document.getElementById("presence");
  var watch = presence ? presence.dataset.watch : "";
  var timer = null, busy = false, again = false, gone = null;

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(el.dataset.fragment, { headers: { "HX-Request": "true" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        el.innerHTML = html;
        el.dataset.version = String((+el.dataset.version || 0) + 1);
      })
      .catch(function () {})
      .finally(function () { busy = false; if (again) { again = false; refresh(); } });
  }

  function soon() { clearTimeout(timer); timer = setTimeout(refresh, 25); }

  function show(here) {
    if (!presence) return;
    var text = presence.querySelector("span");
    if (text) text.hidden = !here;
    presence.classList.toggle("is-present", here);
    clearTimeout(gone);
    // No word for two keep-alives: the other side's page has gone.
    if (here) gone = setTimeout(function () { show(false); }, 40000);
  }

  var source = new EventSource(el.dataset.needLive);
  source.addEventListener("hello", function () { el.classList.remove("live-offline"); el.dataset.connected = "1"; soon(); });
  source.addEventListener("overflow", soon);
  source.addEventListener("presence", function (e) {
    var message = JSON.parse(e.data);
    if (message.side !== watch) return;
    show(message.state !== "leave");
  });
  source.onmessage = soon;
  source.onerror = function () { el.classList.add("live-offline"); };
})();
