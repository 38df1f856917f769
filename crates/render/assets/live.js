// Skytale live updates: on each "publication" server-sent event, fetch this page again and
// swap the #results region in place; announce the update through the aria-live region.
// No framework, no inline script: loaded as a hashed asset under a strict CSP.
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-events");
  if (!url || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var live = document.getElementById("live");
  var lang = document.documentElement.lang || "en";
  var fmt = window.Intl ? new Intl.NumberFormat(lang) : null;
  function announce(size) {
    if (!live) return;
    var msg = (live.getAttribute("data-msg") || "").replace("{size}", fmt ? fmt.format(size) : String(size));
    live.textContent = "";
    window.setTimeout(function () { live.textContent = msg; }, 50);
  }
  function refresh(size) {
    fetch(window.location.pathname, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("results");
        var old = document.getElementById("results");
        if (!fresh || !old || fresh.innerHTML === old.innerHTML) return;
        old.replaceWith(document.importNode(fresh, true));
        announce(size);
      })
      .catch(function () { /* the next publication retries */ });
  }
  var source = new EventSource(url);
  source.addEventListener("publication", function (e) {
    var data;
    try { data = JSON.parse(e.data); } catch (err) { return; }
    if (typeof data.tree_size === "number") refresh(data.tree_size);
  });
})();
