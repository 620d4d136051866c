/* Live screens: an EventSource per [data-live] element; every message makes the
   element refetch its own fragment (rendered by the server for this viewer).
   Debounced, one fetch at a time; ages refresh every 30 s even when quiet.

   A refresh never undoes what the person at the screen is doing:
   - while one of their own htmx requests on this element is in flight, the
     refresh waits for it; a fetch that started before their answer was
     swapped in is thrown away and made again (no stale overwrite);
   - what they typed (a table number, a note) and where the cursor was survive
     the refresh, keyed by the nearest [data-line] and the field's name;
   - an answer to them ([data-sticky], e.g. "this plate is for table 12")
     stays on screen until their next action, even when the list refreshes. */
(function () {
  "use strict";

  function keyOf(node, root) {
    var holder = node.closest("[data-line]");
    return holder && root.contains(holder) ? holder.getAttribute("data-line") : "";
  }

  function fieldKey(field, root) {
    return keyOf(field, root) + "|" + (field.name || field.id || "");
  }

  function changed(field) {
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") {
      for (var i = 0; i < field.options.length; i++) {
        if (field.options[i].selected !== field.options[i].defaultSelected) return true;
      }
      return false;
    }
    if (field.type === "hidden" || field.type === "submit" || field.type === "button") return false;
    return field.value !== field.defaultValue;
  }

  function capture(root) {
    var state = { values: {}, focus: null, sticky: [] };
    root.querySelectorAll("input[name], select[name], textarea[name]").forEach(function (field) {
      if (changed(field)) {
        state.values[fieldKey(field, root)] =
          field.type === "checkbox" || field.type === "radio" ? field.checked : field.value;
      }
    });
    var active = document.activeElement;
    if (active && active !== root && root.contains(active) && active.name) {
      state.focus = {
        key: fieldKey(active, root),
        start: active.selectionStart,
        end: active.selectionEnd,
      };
    }
    root.querySelectorAll("[data-sticky]").forEach(function (node) {
      state.sticky.push({ key: keyOf(node, root), node: node });
    });
    return state;
  }

  function restore(root, state) {
    root.querySelectorAll("input[name], select[name], textarea[name]").forEach(function (field) {
      var key = fieldKey(field, root);
      if (Object.prototype.hasOwnProperty.call(state.values, key)) {
        if (field.type === "checkbox" || field.type === "radio") field.checked = state.values[key];
        else field.value = state.values[key];
      }
      if (state.focus && state.focus.key === key) {
        field.focus();
        try {
          if (state.focus.start !== null) field.setSelectionRange(state.focus.start, state.focus.end);
        } catch (e) { /* not a text field */ }
      }
    });
    state.sticky.forEach(function (item) {
      var holder = item.key ? root.querySelector('[data-line="' + CSS.escape(item.key) + '"]') : root;
      if (!holder) return; // the line is gone: so is the answer about it
      var shown = Array.prototype.some.call(holder.querySelectorAll("[data-sticky]"), function (n) {
        return keyOf(n, root) === item.key;
      });
      if (shown) return; // the server already shows an answer there
      var header = item.key ? holder.querySelector("header") : null;
      if (header) header.insertAdjacentElement("afterend", item.node);
      else holder.insertBefore(item.node, holder.firstChild);
    });
  }

  function connect(el) {
    var frag = el.dataset.fragment, timer = null, busy = false, again = false;
    var generation = 0, inflight = 0, wanted = false;

    function replace(html) {
      var state = capture(el);
      el.innerHTML = html;
      restore(el, state);
      if (window.htmx) window.htmx.process(el);
      el.dataset.version = String((+el.dataset.version || 0) + 1);
    }

    function refresh() {
      if (inflight) { wanted = true; return; }
      if (busy) { again = true; return; }
      busy = true;
      var started = generation;
      fetch(frag, { headers: { "HX-Request": "true" }, credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          if (started !== generation || inflight) { again = true; return; }
          replace(html);
        })
        .catch(function () {})
        .finally(function () { busy = false; if (again) { again = false; refresh(); } });
    }

    function soon() { clearTimeout(timer); timer = setTimeout(refresh, 25); }

    // The person's own actions on this element (htmx forms targeting it).
    el.addEventListener("htmx:beforeRequest", function () { inflight++; generation++; });
    el.addEventListener("htmx:afterRequest", function () {
      inflight = Math.max(inflight - 1, 0);
      generation++;
      if (!inflight && wanted) { wanted = false; soon(); }
    });

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
