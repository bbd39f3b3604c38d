// Address search of a published site, without a server: reads the street index (zoekindex.js,
// format in maps/searchindex.py), answers in the status region and zooms the map.
// Every text goes into the page with textContent, never innerHTML.
(function () {
  "use strict";
  var form = document.getElementById("wabp-search");
  var out = document.getElementById("wabp-result");
  var input = document.getElementById("wabp-q");
  var list = document.getElementById("wabp-streets");
  if (!form || !out || !input) { return; }
  var lookupUrl = form.getAttribute("action");
  var SCALE = 100000;
  var index = null;
  var streets = [];
  var waiting = [];
  var marker = null;

  // -- loading: the index is a script, so that it also loads from disk (file://) ------------------

  function load(done) {
    if (index) { done(); return; }
    waiting.push(done);
    if (waiting.length > 1) { return; }
    var script = document.createElement("script");
    script.src = form.getAttribute("data-index");
    script.onload = function () {
      index = window.WABP_INDEX;
      streets = index.s.map(function (s) {
        return {entry: s, norm: normalise(s[0]), compact: canonical(s[0])};
      });
      waiting.splice(0).forEach(function (fn) { fn(); });
    };
    script.onerror = function () {
      waiting.splice(0);
      say([el("p", "De zoekfunctie kon niet laden. Gebruik de lijst van groepen en straten.")]);
    };
    document.head.appendChild(script);
  }

  // -- reading what was typed -------------------------------------------------------------------

  function normalise(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, " ").trim();
  }

  // One spelling for what people (and the register) abbreviate: "St. Jorisstraat" and
  // "Sint-Jorisstraat" both become "sintjorisstraat"; "Heiligenbornstr" gets its "straat" back.
  var ENDINGS = [[/str$/, "straat"], [/stwg$/, "steenweg"], [/stw$/, "steenweg"], [/ln$/, "laan"], [/pl$/, "plein"]];

  function canonical(text) {
    var compact = normalise(text).replace(/^st /, "sint ").replace(/ /g, "");
    ENDINGS.forEach(function (rule) { compact = compact.replace(rule[0], rule[1]); });
    return compact;
  }

  function parse(query) {
    var text = query.trim(), place = "";
    var comma = text.indexOf(",");
    if (comma >= 0) {
      place = text.slice(comma + 1);
      text = text.slice(0, comma);
    } else {
      var tail = /^(.*\d\s*[a-z]{0,3})\s+([1-9]\d{3})(\s+\D.*)?$/i.exec(text);
      if (tail) { text = tail[1]; place = tail[2] + (tail[3] || ""); }
    }
    var postcode = /(?:^|\D)([1-9]\d{3})(?!\d)/.exec(place);
    // "bus 3", "bte 2", "b3", "/3": the box does not change the group.
    text = text.replace(/\s*(?:\/\s*\w+|\s(?:bus|bte|box)\.?\s*\w+|\sb\.?\s*\d+\w*)\s*$/i, "");
    var number = /^(.*?)[\s,]*(\d+)\s*([a-z]{0,3})$/i.exec(text.trim());
    if (!number && place) {
      // The street picked from the list, then the number typed after it.
      number = /^(.*?)\s+(\d+)\s*([a-z]{0,3})$/i.exec(place.trim());
      if (number && postcode && number[2] === postcode[1]) { number = null; }
      if (number) { number = [null, text, number[2], number[3]]; }
    }
    return {
      street: (number ? number[1] : text).trim(),
      number: number ? parseInt(number[2], 10) : null,
      key: number ? number[2].replace(/^0+(?=\d)/, "") + number[3].toLowerCase() : null,
      postcode: postcode ? postcode[1] : null
    };
  }

  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) { return limit + 1; }
    var row = [];
    for (var j = 0; j <= b.length; j++) { row.push(j); }
    for (var i = 1; i <= a.length; i++) {
      var prev = row[0], best = i;
      row[0] = i;
      for (j = 1; j <= b.length; j++) {
        var here = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = here;
        best = Math.min(best, row[j]);
      }
      if (best > limit) { return limit + 1; }
    }
    return row[b.length];
  }

  function findStreets(name, postcode) {
    var compact = canonical(name);
    if (!compact) { return []; }
    var tests = [
      function (s) { return s.compact === compact; },
      function (s) { return compact.length >= 3 && s.compact.indexOf(compact) === 0; },
      function (s) { return compact.length >= 4 && s.compact.indexOf(compact) > 0; },
      function (s) { return compact.length >= 5 && distance(s.compact, compact, compact.length >= 10 ? 2 : 1) <= (compact.length >= 10 ? 2 : 1); }
    ];
    for (var t = 0; t < tests.length; t++) {
      var found = streets.filter(tests[t]);
      if (postcode) {
        var here = found.filter(function (s) { return s.entry[1] === postcode; });
        if (here.length) { found = here; }
      }
      if (found.length) {
        // Several streets of one name: one per postcode is a real choice; more names is a guess.
        return found.slice(0, 8);
      }
    }
    return [];
  }

  // -- the index: which zone, where ----------------------------------------------------------------

  function runZone(runs, number) {
    for (var i = 0; i < runs.length; i++) {
      var r = runs[i];
      if (r[0] <= number && number <= r[1] && (r[3] === 0 || r[3] === (number % 2 ? 1 : 2))) { return r; }
    }
    return null;
  }

  function neighbours(runs, number) {
    var below = null, above = null;
    runs.forEach(function (r) {
      if (r[3] !== 0 && r[3] !== (number % 2 ? 1 : 2)) { return; }
      if (r[1] < number && (!below || r[1] > below[1])) { below = r; }
      if (r[0] > number && (!above || r[0] < above[0])) { above = r; }
    });
    return [below, above].filter(Boolean);
  }

  function at(entry, offset) {
    if (entry[3] === null) { return null; }
    if (!offset || offset.length < 2 || offset[0] === null) { return [entry[3] / SCALE, entry[4] / SCALE]; }
    return [(entry[3] + offset[0]) / SCALE, (entry[4] + offset[1]) / SCALE];
  }

  function zoneList(ref) {
    if (ref === null || ref === undefined || ref === -1) { return []; }
    return (typeof ref === "number" ? [ref] : ref).map(function (i) { return index.z[i]; });
  }

  // Resolve one street and house number: {zones, location, known, between}.
  function resolve(entry, number, key) {
    var known = key !== null && Object.prototype.hasOwnProperty.call(entry[7], key);
    var detail = known ? entry[7][key] : null;
    var result = {known: index.detail ? known : null, between: null, location: null, zones: null};
    if (detail && detail.length > 2) {
      result.zones = zoneList(detail[2]);
    } else if (entry[5] !== null) {
      result.zones = zoneList(entry[5]);
    } else if (number !== null) {
      var run = runZone(entry[6], number);
      if (run) {
        result.zones = zoneList(run[2]);
        result.location = at(entry, run.slice(4));
      } else {
        result.between = neighbours(entry[6], number);
        if (result.between.length) { result.location = at(entry, result.between[0].slice(4)); }
      }
    }
    if (detail && detail.length >= 2 && detail[0] !== null) { result.location = at(entry, detail); }
    if (!result.location) { result.location = at(entry, null); }
    return result;
  }

  // -- saying it ----------------------------------------------------------------------------------

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function say(nodes, status) {
    out.replaceChildren.apply(out, nodes);
    out.setAttribute("data-status", status || "error");
  }

  function streetLabel(entry) {
    return entry[0] + ", " + entry[1] + " " + index.m[entry[2]];
  }

  function addressLabel(entry, parsed) {
    var number = parsed.key ? " " + parsed.key.toUpperCase() : "";
    return entry[0] + number + ", " + entry[1] + " " + index.m[entry[2]];
  }

  function zoneName(zone) {
    return zone[1] + (zone[2] ? " (" + zone[2] + ")" : "");
  }

  function zoneLinks(zones) {
    var items = el("ul", null, "result__zones");
    zones.forEach(function (zone) {
      var item = el("li");
      if (zone[3]) {
        var a = el("a", zoneName(zone));
        a.href = zone[3];
        item.appendChild(a);
      } else {
        item.textContent = zoneName(zone);
      }
      items.appendChild(item);
    });
    return items;
  }

  function runText(run) {
    var side = run[3] === 1 ? " (oneven)" : run[3] === 2 ? " (even)" : "";
    var numbers = run[0] === run[1] ? "nr. " + run[0] : "nrs. " + run[0] + "-" + run[1];
    var zones = zoneList(run[2]);
    return numbers + side + ": " + (zones.length ? zones.map(zoneName).join(" en ") : "geen groep");
  }

  function secondOpinion(query) {
    if (!lookupUrl) { return null; }
    var p = el("p");
    var a = el("a", "Vraag het ook aan de zoekdienst van de gemeente");
    a.href = lookupUrl + (lookupUrl.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query);
    p.appendChild(a);
    return p;
  }

  function zoomTo(location, zoom) {
    var map = window.WABP && window.WABP.map;
    if (!map || !location) { return; }
    if (marker) { marker.remove(); }
    // A marker, not a circle: it must sit above the infobord markers.
    marker = L.marker(location, {
      icon: L.divIcon({className: "wabp-here", iconSize: [22, 22]}),
      title: "Uw adres", keyboard: false, zIndexOffset: 2000
    }).addTo(map);
    map.setView(location, Math.max(map.getZoom(), zoom));
  }

  function answer(query) {
    var parsed = parse(query);
    var found = findStreets(parsed.street, parsed.postcode);
    var extra = secondOpinion(query);
    var nodes;
    if (!found.length) {
      nodes = [el("p", "We vonden geen straat die lijkt op \u201c" + parsed.street + "\u201d. Kies uw straat uit de lijst of controleer de schrijfwijze.")];
      say(extra ? nodes.concat([extra]) : nodes, "not_found");
      return;
    }
    if (found.length > 1) {
      nodes = [el("p", "Kies uw straat:")];
      var choices = el("ul", null, "result__candidates");
      found.forEach(function (s) {
        var text = streetLabel(s.entry) + (parsed.number !== null ? " " + parsed.key.toUpperCase() : "");
        var button = el("button", streetLabel(s.entry));
        button.type = "button";
        button.addEventListener("click", function () { input.value = text; answer(text); });
        var item = el("li");
        item.appendChild(button);
        choices.appendChild(item);
      });
      nodes.push(choices);
      say(nodes, "ambiguous");
      return;
    }
    var entry = found[0].entry;
    var result = resolve(entry, parsed.number, parsed.key);
    nodes = [];
    if (parsed.number === null) {
      if (result.zones) {
        nodes.push(el("p", "Heel de " + streetLabel(entry) + " hoort bij:"));
        nodes.push(zoneLinks(result.zones));
      } else {
        nodes.push(el("p", "De " + streetLabel(entry) + " ligt in meer dan een zone. Geef ook uw huisnummer."));
        var runs = el("ul");
        entry[6].forEach(function (run) { runs.appendChild(el("li", runText(run))); });
        nodes.push(runs);
      }
      zoomTo(result.location, 16);
      say(extra ? nodes.concat([extra]) : nodes, result.zones ? "found" : "ambiguous");
      return;
    }
    var label = addressLabel(entry, parsed);
    if (result.known === false) {
      nodes.push(el("p", "Huisnummer " + parsed.key.toUpperCase() + " staat niet in het adressenregister van de " + streetLabel(entry) + "."));
    }
    var status = "found";
    if (result.zones && result.zones.length === 1) {
      nodes.push(el("p", label + " hoort bij " + zoneName(result.zones[0]) + "."));
      nodes.push(zoneLinks(result.zones));
    } else if (result.zones && result.zones.length > 1) {
      nodes.push(el("p", label + " ligt op de grens van " + result.zones.map(zoneName).join(" en ") + ". U kunt bij beide groepen aansluiten."));
      nodes.push(zoneLinks(result.zones));
    } else if (result.zones) {
      status = "no_zone";
      nodes.push(el("p", label + " ligt in geen enkele zone: hier is (nog) geen WhatsApp-buurtpreventiegroep."));
    } else {
      status = "ambiguous";
      nodes.push(el("p", "Voor dit huisnummer kunnen we de groep niet zeker zeggen. In de buurt:"));
      var near = el("ul");
      result.between.forEach(function (run) { near.appendChild(el("li", runText(run))); });
      nodes.push(near);
    }
    zoomTo(result.location, 17);
    say(extra ? nodes.concat([extra]) : nodes, status);
  }

  // -- the street list while typing -------------------------------------------------------------------

  function suggest() {
    if (!list || !index) { return; }
    var name = parse(input.value).street;
    if (normalise(name).length < 2 || /\d/.test(input.value)) { return; }
    var seen = {};
    list.replaceChildren();
    findStreets(name, null).forEach(function (s) {
      var many = streets.some(function (o) { return o.norm === s.norm && o !== s; });
      var value = many ? streetLabel(s.entry) : s.entry[0];
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
    find: function (query) {
      var parsed = parse(query);
      var found = findStreets(parsed.street, parsed.postcode);
      if (!found.length) { return null; }
      var result = resolve(found[0].entry, parsed.number, parsed.key);
      return {
        street: found[0].entry[0],
        postcode: found[0].entry[1],
        zones: result.zones ? result.zones.map(function (z) { return z[0]; }) : null,
        location: result.location
      };
    }
  };
})();
