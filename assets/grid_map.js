/* Drawing functions of the feeder map (components/feeder_map.py): one GeoJSON layer of feeders,
   clustered by supercluster in the browser. The colours and labels come from the layer's
   hideout, declared once in Python. */
/* How much larger a wall map draws its markers: 1 on a laptop, up to 2.2 on a 4K screen. */
function spMarkerScale(hideout) {
  if (!hideout || !hideout.scale) { return 1; }
  return Math.max(1, Math.min(2.2, window.innerWidth / 1600));
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
      var color = h.colors[p.st] || "#000";
      var k = spMarkerScale(h);
      var marker = L.circleMarker(latlng, {
        radius: 7 * k, color: "#ffffff", weight: 1.5 * k, fillColor: color, fillOpacity: 0.95
      });
      var unbalance = p.ub === null || p.ub === undefined ? "n/a" : p.ub.toFixed(1) + " %";
      marker.bindTooltip(
        "<b>" + p.id + "</b> " + p.name + "<br>" + (h.labels[p.st] || p.st) +
        " · unbalance " + unbalance + (p.al ? " · " + p.al + " alert(s)" : "")
      );
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
      var color = h.colors[h.severity[worst]];
      var n = feature.properties.point_count;
      var k = spMarkerScale(h);
      var size = Math.round((n < 100 ? 34 : (n < 1000 ? 42 : 50)) * k);
      var icon = L.divIcon({
        html: "<div style='background:" + color + ";font-size:" + Math.round(size * 0.38) +
              "px;border-width:" + Math.round(3 * k) + "px'><span>" +
              feature.properties.point_count_abbreviated + "</span></div>",
        className: "sp-cluster",
        iconSize: L.point(size, size)
      });
      return L.marker(latlng, {icon: icon});
    }
  }
});

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  smartphase: Object.assign({}, (window.dash_clientside || {}).smartphase, {
    feederHref: function (clickData) {
      var p = clickData && clickData.properties;
      if (!p || p.cluster || !p.id) { return window.dash_clientside.no_update; }
      return "/feeder/" + encodeURIComponent(p.id);
    }
  })
});
