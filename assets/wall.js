/* The wall's lists show as many rows as fit their box and say "+N more" for the rest
   (components/wall_view.py): the rows hidden here and those never sent (the list's data-total),
   in the words of the line's data-template, written in the interface language by the server.
   They are fitted again whenever the page changes them or the screen changes size. `fill` fills
   the templates of every screen (window.smartphase.fill: the map's tooltips and filters too),
   and `clock` says a time of day as the page's language does. */
(function () {
  /* Fill the {name} fields of a template from components/strings with `fields`; a field not
     given stays as it is written. */
  function fill(template, fields) {
    return String(template || "").replace(/\{(\w+)\}/g, function (field, name) {
      return Object.prototype.hasOwnProperty.call(fields, name) ? String(fields[name]) : field;
    });
  }

  function fitBox(box) {
    var list = box.querySelector("[data-total]");
    var more = box.querySelector(".sp-more");
    if (!list || !more) { return; }
    var items = list.querySelectorAll(".sp-fit-item");
    var total = parseInt(list.getAttribute("data-total"), 10) || items.length;
    for (var i = 0; i < items.length; i++) { items[i].style.display = ""; }
    var shown = items.length;
    for (;;) {
      var hidden = total - shown;
      var text = hidden > 0 ? fill(more.getAttribute("data-template"), {count: hidden}) : "";
      if (more.textContent !== text) { more.textContent = text; }
      if (shown === 0 || box.scrollHeight <= box.clientHeight + 1) { break; }
      shown -= 1;
      items[shown].style.display = "none";
    }
  }

  var pending = false;
  function fitAll() {
    pending = false;
    document.querySelectorAll(".sp-wall .sp-wall-fit").forEach(fitBox);
  }
  function schedule() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(fitAll);
    }
  }

  function start() {
    new MutationObserver(function (records) {
      /* Only changes of the page's content count: not the "+N more" lines written here, nor
         the map's own markers and tooltips. */
      if (!document.querySelector(".sp-wall")) { return; }
      for (var i = 0; i < records.length; i++) {
        var node = records[i].target;
        var el = node.nodeType === 1 ? node : node.parentElement;
        if (el && !el.closest(".sp-more, .leaflet-container")) {
          schedule();
          return;
        }
      }
    }).observe(document.body, {childList: true, subtree: true, characterData: true});
    window.addEventListener("resize", schedule);
  }

  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
  /* A time of day in India Standard Time ("05:39 pm IST", "17:39 IST"), as the element `id`
     says to write it: its data-time-zone, data-locale and data-hour-cycle (pages/wall.py, from
     components/strings CLOCKS). */
  function clock(ms, id) {
    var el = document.getElementById(id);
    var get = function (name) { return el ? el.getAttribute(name) : null; };
    return new Date(ms).toLocaleTimeString(get("data-locale") || undefined, {
      timeZone: get("data-time-zone") || undefined, hour: "2-digit", minute: "2-digit",
      hourCycle: get("data-hour-cycle") || undefined}) + " IST";
  }

  window.smartphase = Object.assign({}, window.smartphase, {
    fill: fill,
    wall: {fit: fitAll, fill: fill, clock: clock}
  });
})();
