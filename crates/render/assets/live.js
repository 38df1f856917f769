// Skytale live updates: on each "publication" server-sent event, fetch this page again and
// swap the #results region in place; announce the update through the aria-live region.
// On the verification page of an approval-mode election, also show how far the approvals
// got, from the server's /approvals document (progressive enhancement: the page's own bytes
// carry only the message templates, and a static copy of the site leaves the line empty).
// No framework, no inline script: loaded as a hashed asset under a strict CSP.
(function () {
  "use strict";
  if (!window.fetch) return;
  var body = document.body;
  var live = document.getElementById("live");
  var lang = document.documentElement.lang || "en";
  var fmt = window.Intl ? new Intl.NumberFormat(lang) : null;
  function num(n) {
    return fmt ? fmt.format(n) : String(n);
  }
  function fill(template, args) {
    return (template || "").replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(args, name) ? args[name] : whole;
    });
  }
  function approvalText(el, d) {
    var pending = Array.isArray(d.pending) ? d.pending : [];
    if (pending.length) {
      return pending.map(function (p) {
        var approved = Array.isArray(p.approved_by) ? p.approved_by.length : 0;
        var waiting = Array.isArray(p.waiting_for) ? p.waiting_for : [];
        var needed = Math.max(d.quorum - approved, 0);
        return fill(el.getAttribute(needed < waiting.length ? "data-waiting-any" : "data-waiting"), {
          approved: num(approved),
          quorum: num(d.quorum),
          size: num(p.tree_size),
          needed: num(needed),
          names: waiting.join(", ")
        });
      }).join(" ");
    }
    if (d.published && typeof d.published.tree_size === "number") {
      return fill(el.getAttribute("data-published"), { size: num(d.published.tree_size) });
    }
    return el.getAttribute("data-none") || "";
  }
  function approvals() {
    var el = document.getElementById("approval-status");
    var url = el && el.getAttribute("data-approvals");
    if (!url) return;
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (d && typeof d.quorum === "number") el.textContent = approvalText(el, d);
      })
      .catch(function () { /* no approvals to show (a static copy of the site) */ });
  }
  approvals();
  // A screen (TV, kiosk) shows one contest at a time, every `?every=` seconds (3–300,
  // default the page's data-screen), only the contests `?contest=a,b` names if given.
  // Without this script every slide is shown, one after the other.
  var screen = document.querySelector("[data-screen]");
  var slideAt = 0;
  function slides() {
    var all = Array.prototype.slice.call(document.querySelectorAll("#results .slide"));
    var m = /[?&]contest=([^&]*)/.exec(window.location.search);
    if (!m) return all;
    var only = decodeURIComponent(m[1]).split(",");
    var chosen = all.filter(function (s) { return only.indexOf(s.getAttribute("data-contest")) >= 0; });
    return chosen.length ? chosen : all;
  }
  function showSlide() {
    var all = document.querySelectorAll("#results .slide");
    var shown = slides();
    if (!shown.length) return;
    slideAt = slideAt % shown.length;
    for (var i = 0; i < all.length; i++) all[i].hidden = all[i] !== shown[slideAt];
  }
  if (screen) {
    var m = /[?&]every=(\d+)/.exec(window.location.search);
    var every = Math.min(300, Math.max(3, parseInt(m ? m[1] : screen.getAttribute("data-screen"), 10) || 10));
    showSlide();
    window.setInterval(function () { slideAt += 1; showSlide(); }, every * 1000);
  }
  // An embed shows only the widgets `?show=bars,seats,map` names (all when not given).
  function widgets() {
    var m = /[?&]show=([^&]*)/.exec(window.location.search);
    if (!m) return;
    var wanted = decodeURIComponent(m[1]).split(",");
    var all = document.querySelectorAll("[data-widget]");
    for (var i = 0; i < all.length; i++) {
      all[i].hidden = wanted.indexOf(all[i].getAttribute("data-widget")) < 0;
    }
  }
  widgets();
  // The index page narrows its lists to what matches the search box (and `?q=` when the
  // search form led here); without this script it lists everything.
  function fold(t) {
    t = (t || "").toLowerCase();
    return t.normalize ? t.normalize("NFD").replace(/[\u0300-\u036f]/g, "") : t;
  }
  var box = document.querySelector("input[data-filter]");
  var index = box && document.querySelector(box.getAttribute("data-filter"));
  if (index) {
    var status = document.getElementById("index-status");
    var initial = status ? status.textContent : "";
    var filter = function () {
      var q = fold(box.value.trim());
      var items = index.querySelectorAll("li");
      var shown = 0;
      for (var i = 0; i < items.length; i++) {
        var hit = !q || fold(items[i].textContent).indexOf(q) >= 0;
        items[i].hidden = !hit;
        if (hit) shown += 1;
      }
      var groups = index.querySelectorAll("details");
      for (var j = 0; j < groups.length; j++) {
        var any = groups[j].querySelector("li:not([hidden])");
        groups[j].hidden = !any;
        if (q && any) groups[j].open = true;
      }
      if (status) status.textContent = q && !shown ? status.getAttribute("data-none") : initial;
    };
    var given = /[?&]q=([^&]*)/.exec(window.location.search);
    if (given) box.value = decodeURIComponent(given[1].replace(/\+/g, " "));
    box.addEventListener("input", filter);
    filter();
  }
  // On a map, the arrow keys move between areas (Tab moves through them too; each is a link
  // named with its figures, and the table below says the same).
  document.addEventListener("keydown", function (e) {
    var keys = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    var step = keys[e.key];
    var at = document.activeElement;
    var svg = step && at && at.closest ? at.closest(".map svg") : null;
    if (!svg) return;
    var areas = Array.prototype.slice.call(svg.querySelectorAll("a[href]"));
    var i = areas.indexOf(at);
    if (i < 0) return;
    var next = areas[(i + step + areas.length) % areas.length];
    if (next && next.focus) {
      next.focus();
      e.preventDefault();
    }
  });
  var url = body.getAttribute("data-events");
  if (!url || !window.EventSource || !window.DOMParser) return;
  function announce(size) {
    if (!live) return;
    var msg = (live.getAttribute("data-msg") || "").replace("{size}", num(size));
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
        if (!fresh || !old) return;
        // The approval line is filled in the page, never in its bytes, and a screen hides
        // slides: compare without either.
        var mine = old.querySelector("#approval-status");
        var shown = mine ? mine.textContent : "";
        if (mine) mine.textContent = "";
        var hidden = Array.prototype.slice.call(old.querySelectorAll(".slide[hidden], [data-widget][hidden]"));
        hidden.forEach(function (s) { s.hidden = false; });
        var same = fresh.innerHTML === old.innerHTML;
        hidden.forEach(function (s) { s.hidden = true; });
        if (mine) mine.textContent = shown;
        if (!same) {
          old.replaceWith(document.importNode(fresh, true));
          if (screen) showSlide();
          widgets();
          announce(size);
        }
      })
      .then(approvals)
      .catch(function () { /* the next publication retries */ });
  }
  var source = new EventSource(url);
  source.addEventListener("publication", function (e) {
    var data;
    try { data = JSON.parse(e.data); } catch (err) { return; }
    if (typeof data.tree_size === "number") refresh(data.tree_size);
  });
})();
