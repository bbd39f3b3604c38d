// The register base map (maps/basemap.py): a line through each street's houses, under the zones,
// with the street names once zoomed in. No tiles, nothing from another host. Street names reach
// the page as textContent only. window.WABPStreets.draw(map, data) returns the layer group.
(function () {
  "use strict";
  if (!window.L) { return; }
  var LABEL_ZOOM = 16;
  var PANE = "wabp-streets";

  function line(steps, scale) {
    var out = [], x = 0, y = 0;
    for (var i = 0; i < steps.length; i += 2) {
      x += steps[i];
      y += steps[i + 1];
      out.push([y / scale, x / scale]);
    }
    return out;
  }

  // Thin lines when the whole municipality shows, road-like ones in a street.
  function widths(zoom) {
    if (zoom >= 16) { return [9, 6]; }
    if (zoom >= 14) { return [5, 3]; }
    return [2.5, 1.2];
  }

  function boxesOverlap(a, b) {
    return !(a.right < b.left || b.right < a.left || a.bottom < b.top || b.bottom < a.top);
  }

  function draw(map, data) {
    if (!data || !data.streets) { return null; }
    if (!map.getPane(PANE)) {
      // Above tiles (200), below the zones (overlay pane, 400) and the markers.
      map.createPane(PANE).style.zIndex = 350;
      map.getPane(PANE).style.pointerEvents = "none";
    }
    var renderer = L.canvas({pane: PANE, padding: 0.5});
    var scale = Math.pow(10, data.d);
    var casing = [], road = [], labels = [];
    data.streets.forEach(function (street) {
      var parts = street.l.map(function (steps) { return line(steps, scale); });
      var options = {renderer: renderer, interactive: false, pmIgnore: true, snapIgnore: true};
      casing.push(L.polyline(parts, Object.assign({color: "#b8b2a3", lineCap: "round"}, options)));
      road.push(L.polyline(parts, Object.assign({color: "#ffffff", lineCap: "round"}, options)));
      street.a.forEach(function (anchor) {
        var label = document.createElement("span");
        label.textContent = street.n;
        labels.push(L.tooltip({permanent: true, direction: "center", className: "wabp-street-name",
          interactive: false, opacity: 1}).setLatLng(anchor).setContent(label));
      });
    });
    var group = L.layerGroup(casing.concat(road)).addTo(map);
    var shown = L.layerGroup().addTo(map);

    function restyle() {
      var w = widths(map.getZoom());
      casing.forEach(function (p) { p.setStyle({weight: w[0]}); });
      road.forEach(function (p) { p.setStyle({weight: w[1]}); });
    }

    // Names only where they can be read: zoomed in, inside the view, one name per spot.
    function place() {
      shown.clearLayers();
      if (map.getZoom() < LABEL_ZOOM) { return; }
      var view = map.getBounds().pad(0.1);
      var taken = [];
      labels.forEach(function (tip) {
        if (!view.contains(tip.getLatLng())) { return; }
        shown.addLayer(tip);
        var node = tip.getElement();
        if (!node) { return; }
        var box = node.getBoundingClientRect();
        if (taken.some(function (other) { return boxesOverlap(box, other); })) {
          shown.removeLayer(tip);
        } else {
          taken.push(box);
        }
      });
    }

    // The proposal page draws before its first fitBounds: wait until the map has a view.
    map.whenReady(function () {
      restyle();
      place();
      map.on("zoomend", restyle);
      map.on("moveend", place);
    });
    if (data.attribution && map.attributionControl) {
      map.attributionControl.addAttribution(data.attribution);
    }
    return group;
  }

  window.WABPStreets = {draw: draw};
}());
