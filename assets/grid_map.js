/* Drawing functions of the feeder map (components/feeder_map.py): one GeoJSON layer of feeders,
   clustered by supercluster in the browser, and the map page's filters. The colours, labels,
   the tooltip's templates and the feeders' pane come from the layer's hideout, declared once in
   Python (components/feeder_map.py hideout) in the interface language; the filters' sentences
   from the data-* templates of the matches' box (feeder_map.match_templates). Templates are
   filled by window.smartphase.fill (assets/wall.js). Everything taken from the data (ids,
   names) reaches the page as text nodes, never as HTML. */

/* How much larger a wall draws its markers than a desk map: with the screen's height, so that
   cluster counts stay as large as the wall's smallest text (28 px at 1080p). */
function spWallScale() {
  return Math.max(1, window.innerHeight / 1080);
}

/* An element of `tag` holding `text` as a text node (and a class, when given). */
function spText(tag, text, className) {
  var el = document.createElement(tag);
  el.textContent = text;
  if (className) { el.className = className; }
  return el;
}

/* The tooltip of one feeder, built as DOM nodes from its properties. */
function spFeederTooltip(p, h) {
  var box = document.createElement("div");
  box.className = "sp-tip";
  var title = document.createElement("div");
  title.appendChild(spText("b", String(p.id)));
  title.appendChild(document.createTextNode(" " + String(p.name || "")));
  box.appendChild(title);
  var fill = window.smartphase.fill;
  var facts = [h.labels[p.st] || String(p.st)];
  if (p.n !== null && p.n !== undefined) {
    facts.push(fill(h.words.neutral, {current: p.n, share: p.nr}));
  }
  if (p.ub !== null && p.ub !== undefined) {
    facts.push(fill(h.words.unbalance, {pct: p.ub.toFixed(1)}));
  }
  if (p.al) { facts.push(fill(p.al === 1 ? h.words.alert : h.words.alerts, {count: p.al})); }
  box.appendChild(spText("div", facts.join(" · ")));
  if (p.d) { box.appendChild(spText("div", String(p.d), "sp-tip-district")); }
  return box;
}

window.smartphase = Object.assign({}, window.smartphase, {
  map: {
    districtStyle: function (feature, context) {
      var dark = context && context.hideout && context.hideout.dark;
      return dark
        ? {color: "#7d8ba1", weight: 1.5, fillColor: "#1b2430", fillOpacity: 1}
        : {color: "#6b7b8c", weight: 1, fillColor: "#eef2ea", fillOpacity: 1};
    },
    feederMarker: function (feature, latlng, context) {
      var h = context.hideout;
      var p = feature.properties;
      var k = h.wall ? spWallScale() : 1;
      var marker = L.circleMarker(latlng, {
        pane: h.pane,  /* above the district polygons, whenever they finish loading */
        radius: (h.wall ? 12 : 7) * k,
        color: "#ffffff",
        weight: (h.wall ? 2.5 : 1.5) * k,
        fillColor: h.colors[p.st] || "#000",
        fillOpacity: 0.95
      });
      marker.bindTooltip(spFeederTooltip(p, h));
      return marker;
    },
    feederCluster: function (feature, latlng, index, context) {
      var h = context.hideout;
      var worst = h.severity.length - 1;
      var leaves = index.getLeaves(feature.properties.cluster_id, Infinity);
      for (var i = 0; i < leaves.length && worst > 0; i++) {
        var rank = h.severity.indexOf(leaves[i].properties.st);
        if (rank >= 0 && rank < worst) { worst = rank; }
      }
      var n = feature.properties.point_count;
      var size, font, border;
      if (h.wall) {
        var k = spWallScale();
        size = Math.round((n < 100 ? 76 : 88) * k);
        font = Math.round(30 * k);
        border = Math.round(4 * k);
      } else {
        size = n < 100 ? 34 : (n < 1000 ? 42 : 50);
        font = Math.round(size * 0.38);
        border = 3;
      }
      var disc = document.createElement("div");
      disc.style.background = h.colors[h.severity[worst]];
      disc.style.fontSize = font + "px";
      disc.style.borderWidth = border + "px";
      disc.appendChild(spText("span", String(feature.properties.point_count_abbreviated)));
      var icon = L.divIcon({html: disc, className: "sp-cluster", iconSize: L.point(size, size)});
      return L.marker(latlng, {icon: icon});
    }
  }
});

/* Bounds [[south, west], [north, east]] of GeoJSON point features. */
function spPointBounds(features) {
  var s = 90, w = 180, n = -90, e = -180;
  features.forEach(function (f) {
    var c = f.geometry.coordinates;
    s = Math.min(s, c[1]); n = Math.max(n, c[1]); w = Math.min(w, c[0]); e = Math.max(e, c[0]);
  });
  return [[s, w], [n, e]];
}

var SP_MATCHES_LISTED = 8;
var SP_KERALA_BOUNDS = [[8.2, 74.8], [12.9, 77.5]];

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  smartphase: Object.assign({}, (window.dash_clientside || {}).smartphase, {
    feederHref: function (clickData) {
      var p = clickData && clickData.properties;
      if (!p || p.cluster || !p.id) { return window.dash_clientside.no_update; }
      return "/feeder/" + encodeURIComponent(p.id);
    },
    /* The map page's filters: the features they let through, what they found, and where the
       map looks when a filter (not the periodic refresh) changed. */
    filterFeeders: function (all, query, district, states, districtBounds) {
      var no = window.dash_clientside.no_update;
      if (!all) { return [no, "", no]; }
      var q = (query || "").trim().toLowerCase();
      var wanted = {};
      (states || []).forEach(function (s) { wanted[s] = true; });
      var features = all.features.filter(function (f) {
        var p = f.properties;
        return wanted[p.st] && (!district || p.d === district) &&
          (!q || String(p.id).toLowerCase().indexOf(q) >= 0 ||
           String(p.name || "").toLowerCase().indexOf(q) >= 0);
      });
      var ctx = window.dash_clientside.callback_context;
      var box = document.getElementById(((ctx.outputs_list || [])[1] || {}).id);
      var template = function (name) { return box ? box.getAttribute(name) : ""; };
      var fill = window.smartphase.fill;
      var total = all.features.length;
      var counts = {shown: features.length.toLocaleString("en-IN"),
                    total: total.toLocaleString("en-IN")};
      var summary = fill(template(features.length === total ? "data-all" : "data-some"), counts);
      var children = [{type: "Span", namespace: "dash_html_components",
                       props: {children: summary, className: "sp-matches-count"}}];
      if (q) {
        var links = features.slice(0, SP_MATCHES_LISTED).map(function (f) {
          var p = f.properties;
          return {type: "Li", namespace: "dash_html_components", props: {children: [
            {type: "Link", namespace: "dash_core_components",
             props: {href: "/feeder/" + encodeURIComponent(p.id), children: String(p.id)}},
            " " + String(p.name || "") + " · " + String(p.d || "")
          ]}};
        });
        if (features.length === 0) {
          children.push({type: "Span", namespace: "dash_html_components",
                         props: {children: fill(template("data-none"), {query: query.trim()}),
                                 className: "sp-matches-none"}});
        }
        children.push({type: "Ul", namespace: "dash_html_components",
                       props: {children: links, className: "sp-matches-list"}});
      }
      var byFilter = (ctx.triggered || []).some(function (t) {
        return t.prop_id.indexOf("sp-map-all.") !== 0;
      });
      /* The map is fitted to what the filters show once its element has its size: the first
         time data reaches it, and whenever a filter changes. (A `bounds` prop given at creation
         is fitted to a box that may not be laid out yet.) */
      var out = (ctx.outputs_list || [])[2];
      var mapEl = out && document.getElementById(out.id);
      var first = !!mapEl && !mapEl.hasAttribute("data-sp-fitted");
      var viewport = no;
      if (byFilter || first) {
        var bounds = null;
        if (q && features.length) {
          bounds = spPointBounds(features);
        } else if (district && districtBounds && districtBounds[district]) {
          bounds = districtBounds[district];
        } else if (!q && !district) {
          bounds = SP_KERALA_BOUNDS;
        }
        if (bounds) {
          viewport = {bounds: bounds, transition: "fitBounds",
                      options: {padding: [30, 30], maxZoom: 11}};
          if (mapEl) { mapEl.setAttribute("data-sp-fitted", ""); }
        }
      }
      return [{type: "FeatureCollection", features: features}, children, viewport];
    }
  })
});
