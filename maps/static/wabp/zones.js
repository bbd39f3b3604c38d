// The zones of the map, drawn from the compact data in #wabp-zone-data (see maps/zonedata.py):
// outlines, fills, name labels, tooltips and popups. Every text goes into the page as textContent.
// Exposes window.WABP = {map, zones: {id: {zone, shape}}, show(id)} for the search and the tests.
(function () {
  "use strict";
  var node = document.getElementById("wabp-zone-data");
  if (!node || !window.L) { return; }
  var data = JSON.parse(node.textContent);
  var map = window[data.map];
  if (!map) { return; }
  // The base map drawn from the address register (streets.js), when the site chose it.
  if (data.streets && window.WABPStreets) { window.WABPStreets.draw(map, data.streets); }
  // A zone gets a name label once it is this wide on screen; crowded names are moved or hidden
  // by labels.js afterwards.
  var MIN_LABEL_PX = 24;

  function el(tag, text, className) {
    var item = document.createElement(tag);
    if (text) { item.textContent = text; }
    if (className) { item.className = className; }
    return item;
  }

  function link(href, text) {
    var a = el("a", text);
    a.href = href;
    return a;
  }

  function ring(steps, scale) {
    var out = [], x = 0, y = 0;
    for (var i = 0; i < steps.length; i += 2) {
      x += steps[i];
      y += steps[i + 1];
      out.push([y / scale, x / scale]);
    }
    return out;
  }

  function outline(zone) {
    var scale = Math.pow(10, zone.d);
    return zone.g.map(function (rings) {
      return rings.map(function (steps) { return ring(steps, scale); });
    });
  }

  function lines(parent, text) {
    text.split("\n").forEach(function (line, i) {
      if (i) { parent.appendChild(document.createElement("br")); }
      parent.appendChild(document.createTextNode(line));
    });
    return parent;
  }

  function popup(zone) {
    var box = el("div", null, "wabp-popup");
    box.appendChild(el("p", zone.name, "wabp-popup__title"));
    if (zone.area) { box.appendChild(el("p", "Regio: " + zone.area)); }
    if (zone.streets) {
      box.appendChild(el("p", "Straten:"));
      var list = el("ul");
      zone.streets.forEach(function (street) { list.appendChild(el("li", street)); });
      box.appendChild(list);
    }
    if (zone.join) {
      box.appendChild(lines(el("p"), zone.join));
    } else if (data.joinUrl) {
      var join = el("p", "Woont of werkt u in deze zone? Meld u aan via ");
      join.appendChild(link(data.joinUrl, "het aanmeldformulier"));
      join.appendChild(document.createTextNode(". De coördinator voegt u daarna toe aan de WhatsApp-groep."));
      box.appendChild(join);
    } else {
      // A published site without a registration form: how to join through the municipality.
      box.appendChild(el("p", "Woont of werkt u in deze zone? " + data.joinElsewhere));
    }
    if (zone.href) {
      var more = el("p");
      more.appendChild(link(zone.href, "Meer over " + zone.name));
      box.appendChild(more);
    }
    return box;
  }

  var renderer = data.canvas ? L.canvas({padding: 0.5}) : undefined;
  var zones = {};
  var labels = L.layerGroup().addTo(map);
  var order = [];

  data.zones.forEach(function (zone) {
    var colour = data.palette[zone.c];
    var dimmed = data.focus && zone.id !== data.focus;
    var shape = L.polygon(outline(zone), {
      renderer: renderer,
      color: colour[1],
      weight: data.focus ? (dimmed ? 1.5 : 4) : 2.5,
      fillColor: dimmed ? "#bdbdbd" : colour[0],
      fillOpacity: dimmed ? 0.25 : 0.35
    }).addTo(map);
    shape.bindTooltip(function () { return el("span", zone.name); }, {sticky: true});
    shape.bindPopup(function () { return popup(zone); }, {maxWidth: 320, maxHeight: 300});
    zones[zone.id] = {zone: zone, shape: shape, label: null};
    order.push(zones[zone.id]);
  });

  function labelFor(entry) {
    var colour = data.palette[entry.zone.c];
    var text = el("span", entry.zone.name);
    text.style.borderColor = colour[1];
    return L.marker(entry.zone.label, {
      icon: L.divIcon({className: "wabp-zone-label", html: text, iconSize: null}),
      // A label, not a control: out of the tab order, and clicks go through to the zone.
      interactive: false,
      keyboard: false,
      zIndexOffset: 1000
    });
  }

  function updateLabels() {
    var view = map.getBounds();
    order.forEach(function (entry) {
      var bounds = entry.shape.getBounds();
      var wanted = view.intersects(bounds);
      if (wanted && entry.zone.id !== data.focus) {
        var west = map.latLngToContainerPoint(bounds.getSouthWest());
        var east = map.latLngToContainerPoint(bounds.getNorthEast());
        wanted = Math.abs(east.x - west.x) >= MIN_LABEL_PX;
      }
      if (wanted && !entry.label) {
        entry.label = labelFor(entry);
        labels.addLayer(entry.label);
      } else if (!wanted && entry.label) {
        labels.removeLayer(entry.label);
        entry.label = null;
      }
    });
  }

  // Registered before labels.js places the names after each move.
  map.on("zoomend moveend resize", updateLabels);
  updateLabels();

  window.WABP = {
    map: map,
    zones: zones,
    show: function (id, latlng) {
      var entry = zones[id];
      if (entry) { entry.shape.openPopup(latlng || entry.zone.label); }
    }
  };
})();
