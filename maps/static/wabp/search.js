// Address search of a published site, without a server: lookup-core.js answers from the index
// (zoekindex.js, format in maps/searchindex.py) as GET /api/lookup would; this file shows the
// answer, what to do next, and zooms the map. Every text goes in with textContent, never innerHTML.
(function () {
  "use strict";
  var form = document.getElementById("wabp-search");
  var out = document.getElementById("wabp-result");
  var input = document.getElementById("wabp-q");
  var list = document.getElementById("wabp-streets");
  if (!form || !out || !input) { return; }
  // The live service, when the site was published with one: asked when the index is not sure.
  var lookupUrl = form.getAttribute("data-lookup");
  var index = null, locator = null;
  var waiting = [];
  var marker = null;

  // -- loading: the index is a script, so that it also loads from disk (file://) ------------------

  function load(done) {
    if (locator) { done(); return; }
    waiting.push(done);
    if (waiting.length > 1) { return; }
    var script = document.createElement("script");
    script.src = form.getAttribute("data-index");
    script.onload = function () {
      index = window.WABP_INDEX;
      locator = window.WABP_LOCATOR.create(index);
      waiting.splice(0).forEach(function (fn) { fn(); });
    };
    script.onerror = function () {
      waiting.splice(0);
      say([el("p", "De zoekfunctie kon niet laden. Gebruik de lijst van groepen en straten.")]);
    };
    document.head.appendChild(script);
  }

  // -- saying it ----------------------------------------------------------------------------------

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function link(text, href) {
    var a = el("a", text);
    a.href = href;
    return a;
  }

  function say(nodes, status) {
    out.replaceChildren.apply(out, nodes);
    out.setAttribute("data-status", status || "error");
  }

  function zoneName(zone) {
    return zone.name + (zone.area ? " (" + zone.area + ")" : "");
  }

  function addressText(a) {
    return a.street + (a.housenumber ? " " + a.housenumber : "") + (a.box ? " bus " + a.box : "") +
      ", " + a.postcode + " " + a.municipality;
  }

  function zoneLinks(zones) {
    var items = el("ul", null, "result__zones");
    zones.forEach(function (zone) {
      var item = el("li");
      item.appendChild(zone.href ? link(zoneName(zone), zone.href) : document.createTextNode(zoneName(zone)));
      items.appendChild(item);
    });
    return items;
  }

  // A street in several zones: which numbers go where, as the group list writes them.
  function partText(part) {
    return (part.zones.length ? part.zones.map(zoneName).join(" en ") : "Geen groep") + ": nrs. " + part.numbers;
  }

  function steps(result) {
    var items = el("ul", null, "result__steps");
    locator.nextSteps(result, index.c, index.c.join_url).forEach(function (step) {
      var item = el("li", null, "step step--" + step.code);
      item.appendChild(step.href ? link(step.text, step.href) : document.createTextNode(step.text));
      items.appendChild(item);
    });
    var wrap = el("div", null, "result__next");
    wrap.appendChild(el("h3", "Wat nu?"));
    wrap.appendChild(items);
    return wrap;
  }

  function show(query, result) {
    var nodes = [el("p", result.message, "result__message")];
    if (result.zones.length) { nodes.push(zoneLinks(result.zones)); }
    if (result.warnings.length) {
      var warnings = el("ul", null, "result__warnings");
      result.warnings.forEach(function (w) { warnings.appendChild(el("li", w.message)); });
      nodes.push(warnings);
    }
    if (result.street_parts && result.street_parts.length) {
      var parts = el("ul", null, "result__parts");
      result.street_parts.forEach(function (part) { parts.appendChild(el("li", partText(part))); });
      nodes.push(parts);
    } else if (result.candidates.length) {
      nodes.push(el("p", "Kies uw adres:"));
      var choices = el("ul", null, "result__candidates");
      result.candidates.forEach(function (candidate) {
        var text = addressText(candidate.address);
        var button = el("button", text);
        button.type = "button";
        button.addEventListener("click", function () { input.value = text; answer(text); });
        var item = el("li");
        item.appendChild(button);
        choices.appendChild(item);
      });
      nodes.push(choices);
    }
    if (!result.certain) {
      nodes.push(el("p", "Let op: deze kaart kent niet elk huisnummer. Controleer uw groep bij de gemeente.", "result__unsure"));
    }
    nodes.push(steps(result));
    if (lookupUrl) {
      var p = el("p", null, "result__service");
      p.appendChild(link("Vraag het ook aan de zoekdienst van de gemeente", serviceUrl(query)));
      nodes.push(p);
    }
    say(nodes, result.status);
    var location = result.location || (result.candidates[0] && result.candidates[0].location);
    zoomTo(location, result.precision === "street" || result.street_parts.length ? 16 : 17);
  }

  function serviceUrl(query) {
    return lookupUrl + (lookupUrl.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query);
  }

  function zoomTo(location, zoom) {
    var map = window.WABP && window.WABP.map;
    if (!map || !location) { return; }
    var position = [location.lat, location.lon];
    if (marker) { marker.remove(); }
    // A marker, not a circle: it must sit above the infobord markers.
    marker = L.marker(position, {
      icon: L.divIcon({className: "wabp-here", iconSize: [22, 22]}),
      title: "Uw adres", keyboard: false, zIndexOffset: 2000
    }).addTo(map);
    map.setView(position, Math.max(map.getZoom(), zoom));
  }

  function answer(query) {
    var result = locator.lookup(query);
    show(query, result);
    if (!result.certain && lookupUrl && window.fetch) {
      // Not sure offline: the live service answers when it can be reached (it allows this).
      fetch(serviceUrl(query), {headers: {Accept: "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (live) {
          if (live && live.status) {
            live.certain = true;
            live.zones.forEach(function (z) {
              var known = index.z.filter(function (x) { return x[0] === z.id; })[0];
              z.href = known ? known[3] : null;
            });
            show(query, live);
          }
        }, function () { /* the offline answer stays, with its warning */ });
    }
  }

  // -- the street list while typing -------------------------------------------------------------------

  function suggest() {
    if (!list || !locator) { return; }
    var typed = input.value;
    if (typed.trim().length < 2 || /\d/.test(typed)) { return; }
    var key = locator.normaliser.key(typed);
    if (!key) { return; }
    var seen = {};
    list.replaceChildren();
    locator.streets.filter(function (s) { return s.key.indexOf(key) === 0; }).slice(0, 10).forEach(function (s) {
      var many = locator.matcher.ids(s.key).length > 1;
      var value = many ? s.name + ", " + s.postcode + " " + s.municipality : s.name;
      if (seen[value]) { return; }
      seen[value] = true;
      var option = document.createElement("option");
      option.value = value;
      list.appendChild(option);
    });
  }

  input.addEventListener("focus", function () { load(function () {}); });
  input.addEventListener("input", function () { load(suggest); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = input.value.trim();
    if (!query) { return; }
    say([el("p", "Bezig met zoeken\u2026")], "busy");
    load(function () { answer(query); });
  });

  // For the tests and for other scripts: resolve without touching the page.
  window.WABP_SEARCH = {
    load: load,
    lookup: function (query) { return locator.lookup(query); },
    find: function (query) {
      var result = locator.lookup(query);
      return {
        status: result.status,
        zones: result.zones.map(function (z) { return z.id; }),
        address: result.address,
        location: result.location
      };
    }
  };
})();
