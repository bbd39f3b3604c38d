// The /voorstel page: sign in, draw or reshape a zone (Leaflet-Geoman) or pick streets, submit.
// Texts from the API (zone names, street names, report lines, error details) only ever reach the
// page through textContent. The token lives in sessionStorage: it is gone when the tab is closed.
(function () {
  "use strict";

  var TOKEN_KEY = "wabp.voorstel.token";
  var DECIMALS = 1e7; // 7 decimals: about 1 cm, what the API keeps
  var root = document.getElementById("inhoud");
  var api = root.dataset.api;
  var proposalMapUrl = root.dataset.proposalMap;
  var bounds = JSON.parse(root.dataset.bounds);
  var boundary = JSON.parse(root.dataset.boundary);
  var tiles = JSON.parse(root.dataset.tiles);
  var colours = JSON.parse(root.dataset.colours || "{}");

  var $ = function (id) { return document.getElementById(id); };
  var signinSection = $("aanmelden");
  var signinForm = $("signin-form");
  var signinMessage = $("signin-message");
  var proposalSection = $("voorstel");
  var proposalForm = $("proposal-form");
  var result = $("result");

  var state = {user: null, zones: null, map: null, editor: null, zoneLayer: null, streets: []};
  var ROLES = {coordinator: "coördinator", municipality: "gemeente", police: "politie"};
  var STATUS = {submitted: "ingediend", approved: "goedgekeurd", rejected: "afgewezen"};
  var RULES = [["all", "Alle huisnummers"], ["even", "Even huisnummers"], ["odd", "Oneven huisnummers"],
    ["range", "Van … tot …"]];

  // -- small helpers ---------------------------------------------------------------------------
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function say(target, kind, parts) {
    target.className = "message" + (kind ? " message--" + kind : "");
    target.replaceChildren.apply(target, parts.map(function (p) {
      return typeof p === "string" ? el("p", p) : p;
    }));
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function request(path, options) {
    options = options || {};
    var headers = Object.assign({Accept: "application/json"}, options.headers || {});
    if (options.auth && token()) { headers.Authorization = "Bearer " + token(); }
    return fetch(api + path, {method: options.method || "GET", headers: headers, body: options.body})
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          return {status: response.status, ok: response.ok, data: data};
        });
      });
  }

  function detailText(data) {
    var detail = data && data.detail;
    if (typeof detail === "string") { return detail; }
    if (Array.isArray(detail)) {
      return detail.map(function (e) {
        return (e.loc ? e.loc.join(".") + ": " : "") + (e.msg || "");
      }).join("; ");
    }
    if (detail && typeof detail.message === "string") { return detail.message; }
    return "";
  }

  function zoneName(id) {
    var feature = findZone(id);
    return feature ? feature.properties.name : id;
  }

  function findZone(id) {
    if (!state.zones) { return null; }
    return state.zones.features.find(function (f) {
      return (f.properties && f.properties.id === id) || f.id === id;
    }) || null;
  }

  // -- sign in and out -------------------------------------------------------------------------
  signinForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var email = $("signin-email").value.trim();
    var password = $("signin-password").value;
    if (!email || !password) {
      say(signinMessage, "error", ["Vul uw e-mailadres en uw wachtwoord in."]);
      (email ? $("signin-password") : $("signin-email")).focus();
      return;
    }
    say(signinMessage, null, ["Bezig met aanmelden…"]);
    request("/auth/token", {
      method: "POST",
      headers: {"Content-Type": "application/x-www-form-urlencoded"},
      body: new URLSearchParams({username: email, password: password}).toString()
    }).then(function (answer) {
      if (answer.ok && answer.data && answer.data.access_token) {
        sessionStorage.setItem(TOKEN_KEY, answer.data.access_token);
        $("signin-password").value = "";
        say(signinMessage, null, []);
        return loadMe();
      }
      if (answer.status === 429) {
        say(signinMessage, "error", ["Te veel pogingen. Wacht even en probeer het opnieuw."]);
      } else {
        say(signinMessage, "error", ["Dat e-mailadres en wachtwoord horen niet bij elkaar. Probeer het opnieuw."]);
      }
      $("signin-password").focus();
    }, function () {
      say(signinMessage, "error", ["De aanmelding is nu niet bereikbaar. Probeer het later opnieuw."]);
    });
  });

  $("signout").addEventListener("click", function () { signOut(null); });

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.user = null;
    // The next person at this computer starts with an empty form.
    state.streets = [];
    renderStreets();
    proposalForm.reset();
    $("streets-panel").hidden = true;
    $("draw-panel").hidden = false;
    if (state.editor) { clearEditor(); }
    proposalSection.hidden = true;
    signinSection.hidden = false;
    $("mine").hidden = true;
    $("mine-list").replaceChildren();
    say(result, null, []);
    say(signinMessage, message ? "error" : null, message ? [message] : []);
    $("signin-email").focus();
  }

  function loadMe() {
    return request("/auth/me", {auth: true}).then(function (answer) {
      if (answer.status === 401) {
        signOut("Uw aanmelding is verlopen. Meld u opnieuw aan.");
        return;
      }
      if (!answer.ok || !answer.data) {
        say(signinMessage, "error", ["Uw gegevens konden niet geladen worden. Probeer het later opnieuw."]);
        return;
      }
      state.user = answer.data;
      showProposalForm();
      loadMine();
    }, function () {
      say(signinMessage, "error", ["De aanmelding is nu niet bereikbaar. Probeer het later opnieuw."]);
    });
  }

  // -- the coordinator's own proposals, with their status ------------------------------------------
  function loadMine() {
    if (!state.user || state.user.role !== "coordinator") { return; }
    request("/proposals", {auth: true}).then(function (answer) {
      if (!answer.ok || !Array.isArray(answer.data)) { return; }
      var list = $("mine-list");
      list.replaceChildren();
      answer.data.forEach(function (p) {  // the newest first
        var item = el("li");
        var when = new Date(p.created_at).toLocaleDateString("nl-BE");
        var what = (p.name || zoneName(p.zone_id) || "Voorstel") + ", ingediend op " + when + ": ";
        item.appendChild(document.createTextNode(what));
        item.appendChild(el("strong", STATUS[p.status] || p.status, "status status--" + p.status));
        if (p.reason) { item.appendChild(el("span", " (" + p.reason + ")")); }
        item.appendChild(document.createTextNode(" "));
        var a = el("a", "Bekijk op de kaart");
        a.href = proposalMapUrl.replace("{id}", encodeURIComponent(p.id));
        item.appendChild(a);
        list.appendChild(item);
      });
      $("mine-empty").hidden = answer.data.length > 0;
      $("mine").hidden = false;
    });
  }

  // -- the register's addresses, in their zone's colour ----------------------------------------------
  var pointsAsked = 0;
  function showPoints() {
    var map = state.map;
    if (!map) { return; }
    var asked = ++pointsAsked;
    var b = map.getBounds().pad(0.2);
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
    request("/addresses?bbox=" + bbox).then(function (answer) {
      if (asked !== pointsAsked || !answer.ok || !answer.data) { return; }
      if (!state.points) {
        state.points = L.layerGroup([], {pmIgnore: true}).addTo(map);
        state.pointRenderer = L.canvas({padding: 0.2, pmIgnore: true});
      }
      state.points.clearLayers();
      var zones = answer.data.zones;
      // Smaller dots when a whole zone shows, so that the streets under them stay visible.
      var zoom = map.getZoom();
      var radius = zoom >= 16 ? 3.5 : zoom >= 15 ? 3 : 2;
      answer.data.points.forEach(function (p) {
        // In a zone: filled in its colours; in no zone: a hollow grey ring.
        var colour = p[2] >= 0 ? colours[zones[p[2]]] : null;
        L.circleMarker([p[0], p[1]], {renderer: state.pointRenderer, radius: radius, weight: radius > 2 ? 1.5 : 1,
          color: colour ? colour[1] : "#6b6b6b", fillColor: colour ? colour[0] : "#ffffff",
          fillOpacity: 1, interactive: false, pmIgnore: true, snapIgnore: true})
          .addTo(state.points);
      });
    });
  }

  // -- the proposal form -----------------------------------------------------------------------
  function showProposalForm() {
    var user = state.user;
    signinSection.hidden = true;
    proposalSection.hidden = false;
    $("whoami").textContent = "Aangemeld als " + user.email + " (" + (ROLES[user.role] || user.role) + ")";
    var mayPropose = user.role === "coordinator" || user.role === "municipality";
    proposalForm.hidden = !mayPropose;
    say($("role-message"), mayPropose ? null : "error",
      mayPropose ? [] : ["Alleen coördinatoren en de gemeente kunnen een zonevoorstel indienen."]);
    $("voorstel-titel").focus();
    if (!mayPropose) { return; }
    initMap();
    loadZones().then(chooseTarget);
  }

  function loadZones() {
    if (state.zones) { return Promise.resolve(); }
    return request("/zones").then(function (answer) {
      if (!answer.ok || !answer.data || !Array.isArray(answer.data.features)) {
        say($("shape-status"), "error", ["De huidige zones konden niet geladen worden."]);
        return;
      }
      state.zones = answer.data;
      showZones();
      fillZoneSelect();
    }, function () {
      say($("shape-status"), "error", ["De huidige zones konden niet geladen worden."]);
    });
  }

  function fillZoneSelect() {
    var select = $("zone-select");
    select.replaceChildren();
    state.zones.features.forEach(function (f) {
      if (f.properties.status && f.properties.status !== "active") { return; }
      var option = el("option", f.properties.name);
      option.value = f.properties.id;
      select.appendChild(option);
    });
  }

  function chooseTarget() {
    var user = state.user;
    var own = user.role === "coordinator" && user.zone_id && findZone(user.zone_id);
    $("target-own-row").hidden = !own;
    $("target-existing-row").hidden = user.role !== "municipality";
    if (own) {
      $("target-own-label").textContent = "Mijn zone: " + zoneName(user.zone_id);
      $("target-own").checked = true;
    } else if (user.role === "municipality") {
      $("target-existing").checked = true;
    } else {
      $("target-new").checked = true;
    }
    targetChanged();
  }

  function target() {
    var checked = proposalForm.querySelector("input[name=target]:checked");
    return checked ? checked.value : "new";
  }

  function method() {
    return proposalForm.querySelector("input[name=method]:checked").value;
  }

  function targetZoneId() {
    if (target() === "own") { return state.user.zone_id; }
    if (target() === "existing") { return $("zone-select").value || null; }
    return null;
  }

  function targetChanged() {
    $("new-name-row").hidden = target() !== "new";
    $("zone-select").disabled = target() !== "existing";
    $("tool-reset").hidden = target() === "new";
    var id = targetZoneId();
    if (id) {
      loadZoneIntoEditor(id);
    } else {
      clearEditor();
      if (method() === "draw" && state.map) { startDrawing(); }
    }
  }

  proposalForm.querySelectorAll("input[name=target]").forEach(function (input) {
    input.addEventListener("change", targetChanged);
  });
  $("zone-select").addEventListener("change", targetChanged);
  proposalForm.querySelectorAll("input[name=method]").forEach(function (input) {
    input.addEventListener("change", function () {
      var streets = method() === "streets";
      $("streets-panel").hidden = !streets;
      $("draw-panel").hidden = streets;
      if (!streets && state.map) { state.map.invalidateSize(); }
      if (streets) { stopTools(); $("street-q").focus(); }
    });
  });

  // -- the map and the editor ------------------------------------------------------------------
  function initMap() {
    if (state.map) { state.map.invalidateSize(); return; }
    var map = L.map("editor-map", {zoomControl: false, zoomSnap: 0.5});
    L.control.zoom({zoomInTitle: "Inzoomen", zoomOutTitle: "Uitzoomen"}).addTo(map);
    L.control.scale({imperial: false}).addTo(map);
    if (tiles) {
      L.tileLayer(tiles.url, {attribution: tiles.attribution, minZoom: tiles.minZoom,
        maxZoom: tiles.maxZoom, pmIgnore: true}).addTo(map);
    }
    var streetData = $("wabp-street-data");
    if (streetData && window.WABPStreets) {
      window.WABPStreets.draw(map, JSON.parse(streetData.textContent));
    }
    map.fitBounds(bounds);
    if (boundary) {
      L.geoJSON(boundary, {pmIgnore: true, snapIgnore: true, interactive: false,
        style: {color: "#6b6b6b", weight: 1.5, fill: false}}).addTo(map);
    }
    map.pm.setLang("wabp", {
      tooltips: {
        firstVertex: "Klik om het eerste punt te plaatsen",
        continueLine: "Klik om het volgende punt te plaatsen",
        finishPoly: "Klik op het eerste punt om de vorm af te sluiten"
      },
      actions: {finish: "Afsluiten", cancel: "Annuleren", removeLastVertex: "Laatste punt wissen"}
    }, "nl");
    state.editor = L.featureGroup().addTo(map);
    map.pm.setGlobalOptions({
      layerGroup: state.editor,
      snappable: true,
      snapDistance: 15,
      // The API explains a self-intersection and offers a repaired shape; blocking it here would
      // leave the coordinator stuck without a reason.
      allowSelfIntersection: true,
      pathOptions: {color: "#0b4f8a", weight: 3, fillColor: "#0b4f8a", fillOpacity: 0.25}
    });
    map.on("pm:create", function (e) {
      stopTools();
      afterChange();
      if (e.layer && e.layer.pm) { e.layer.pm.enable({allowSelfIntersection: true}); }
      setPressed("tool-edit", true);
    });
    map.on("pm:cut", afterChange);
    map.on("pm:remove", afterChange);
    // Geoman fires drawstart before it counts itself enabled: look once the event has passed.
    map.on("pm:drawstart pm:drawend", function () { setTimeout(drawing, 0); });
    state.editor.on("layeradd layerremove", afterChange);
    quietHandles(map);
    state.map = map;
    map.on("moveend", showPoints);
    // Whether the view is still moving (fitBounds animates), for the tests to wait on.
    map.on("movestart", function () { root.dataset.moving = "true"; });
    map.on("moveend", function () { delete root.dataset.moving; });
    showPoints();
  }

  // Geoman's vertex handles are Leaflet markers: each one a nameless button in the tab order (a
  // zone has hundreds). They can only be dragged with a pointer, so keep them out of the keyboard
  // and screen-reader order; "Straten kiezen" is the way to give a zone without a pointer.
  function quietHandles(map) {
    var pane = map.getPane("markerPane");
    function quiet(node) {
      if (node.nodeType === 1 && node.classList.contains("marker-icon")) {
        node.removeAttribute("role");
        node.setAttribute("tabindex", "-1");
        node.setAttribute("aria-hidden", "true");
      }
    }
    new MutationObserver(function (changes) {
      changes.forEach(function (change) { change.addedNodes.forEach(quiet); });
      thinSoon(map);
    }).observe(pane, {childList: true});
    map.on("zoomend moveend", function () { thinSoon(map); });
  }

  // A zone's outline follows its houses: hundreds of corners, whose handles would cover the map on
  // a phone. Show one handle per HANDLE_PX square on screen (corners first, then the "+" handles
  // between them); zooming in shows the others. A hidden handle is not clickable either.
  var HANDLE_PX = 26;
  var thinPending = false;

  function thinSoon(map) {
    if (thinPending) { return; }
    thinPending = true;
    window.requestAnimationFrame(function () { thinPending = false; thinHandles(map); });
  }

  function thinHandles(map) {
    var pane = map.getPane("markerPane");
    // The marker that follows the pointer is no handle.
    var handles = Array.prototype.slice.call(pane.querySelectorAll(".marker-icon:not(.cursor-marker)"));
    if (activeDraw()) {
      // While a shape is drawn every corner shows: its first one closes the shape.
      handles.forEach(function (h) { h.classList.remove("handle--hidden"); });
      return;
    }
    var corners = handles.filter(function (h) { return !h.classList.contains("marker-icon-middle"); });
    var middles = handles.filter(function (h) { return h.classList.contains("marker-icon-middle"); });
    var taken = {};
    var shown = 0;
    corners.concat(middles).forEach(function (handle) {
      var box = handle.getBoundingClientRect();
      var cx = Math.floor((box.left + box.width / 2) / HANDLE_PX);
      var cy = Math.floor((box.top + box.height / 2) / HANDLE_PX);
      var free = true;
      for (var dx = -1; dx <= 1 && free; dx++) {
        for (var dy = -1; dy <= 1 && free; dy++) {
          if (taken[(cx + dx) + ":" + (cy + dy)]) { free = false; }
        }
      }
      if (free) { taken[cx + ":" + cy] = true; shown++; }
      handle.classList.toggle("handle--hidden", !free);
    });
    // For the tests: how many handles show, of how many, at which zoom.
    root.dataset.handles = shown + "/" + handles.length + "@" + map.getZoom();
  }

  function showZones() {
    if (state.zoneLayer) { state.zoneLayer.remove(); }
    state.zoneLayer = L.geoJSON(state.zones, {
      // Not editable, but the editor snaps to them: a new border can follow a neighbour's exactly.
      pmIgnore: true,
      snapIgnore: false,
      interactive: false,
      style: {color: "#1b1b1b", weight: 2, dashArray: "7 6", fillColor: "#8a8a8a", fillOpacity: 0.08},
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(el("span", feature.properties.name), {
          permanent: true, direction: "center", className: "wabp-zone-name", interactive: false
        });
      }
    }).addTo(state.map);
    state.zoneLayer.bringToBack();
  }

  function clearEditor() {
    stopTools();
    if (state.editor) { state.editor.clearLayers(); }
    afterChange();
  }

  function loadIntoEditor(geometry) {
    clearEditor();
    if (!geometry) { return; }
    L.geoJSON(geometry, {style: function () { return {color: "#0b4f8a", weight: 3, fillOpacity: 0.25}; }})
      .eachLayer(function (layer) { state.editor.addLayer(layer); });
    if (state.editor.getLayers().length) {
      state.map.fitBounds(state.editor.getBounds(), {padding: [20, 20]});
      editMode(true);
    }
    afterChange();
  }

  function loadZoneIntoEditor(id) {
    var feature = findZone(id);
    loadIntoEditor(feature ? feature.geometry : null);
  }

  function setPressed(id, on) { $(id).setAttribute("aria-pressed", on ? "true" : "false"); }

  function editMode(on) {
    state.editor.eachLayer(function (layer) {
      if (!layer.pm) { return; }
      if (on) { layer.pm.enable({allowSelfIntersection: true}); } else { layer.pm.disable(); }
    });
    setPressed("tool-edit", on);
  }

  function activeDraw() {
    if (!state.map) { return null; }
    var draw = state.map.pm.Draw;
    return draw.Polygon.enabled() ? draw.Polygon : draw.Cut.enabled() ? draw.Cut : null;
  }

  function drawing() {
    var draw = state.map.pm.Draw;
    setPressed("tool-draw", draw.Polygon.enabled());
    setPressed("tool-cut", draw.Cut.enabled());
    $("tool-finish").hidden = !activeDraw();
    $("tool-undo").hidden = !activeDraw();
  }

  function startDrawing() {
    editMode(false);
    state.map.pm.enableDraw("Polygon", {allowSelfIntersection: true});
  }

  function stopTools() {
    if (!state.map) { return; }
    state.map.pm.disableDraw();
    editMode(false);
  }

  $("tool-edit").addEventListener("click", function () {
    var on = $("tool-edit").getAttribute("aria-pressed") !== "true";
    state.map.pm.disableDraw();
    editMode(on);
  });
  $("tool-draw").addEventListener("click", function () {
    if (state.map.pm.Draw.Polygon.enabled()) { state.map.pm.disableDraw(); } else { startDrawing(); }
  });
  $("tool-finish").addEventListener("click", function () {
    var draw = activeDraw();
    // Geoman's own toolbar finishes a shape the same way; its toolbar is not used here because its
    // buttons have no accessible names and no keyboard handling.
    if (draw && draw._layer && draw._layer.getLatLngs().length >= 3) {
      draw._finishShape();
    } else {
      say($("shape-status"), "error", ["Een vorm heeft minstens drie punten nodig."]);
    }
  });
  $("tool-undo").addEventListener("click", function () {
    var draw = activeDraw();
    if (draw && draw._layer && draw._layer.getLatLngs().length) { draw._removeLastVertex(); }
  });
  $("tool-cut").addEventListener("click", function () {
    if (state.map.pm.Draw.Cut.enabled()) {
      state.map.pm.disableDraw();
    } else {
      editMode(false);
      state.map.pm.enableDraw("Cut", {allowSelfIntersection: true});
    }
  });
  $("tool-clear").addEventListener("click", function () {
    clearEditor();
    startDrawing();
  });
  $("tool-reset").addEventListener("click", function () {
    var id = targetZoneId();
    if (id) { loadZoneIntoEditor(id); }
  });

  function polygons() {
    var out = [];
    if (!state.editor) { return out; }
    state.editor.eachLayer(function (layer) {
      if (!(layer instanceof L.Polygon)) { return; }
      var geometry = layer.toGeoJSON(8).geometry;
      var parts = geometry.type === "Polygon" ? [geometry.coordinates]
        : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
      parts.forEach(function (rings) {
        var clean = rings.map(function (ring) {
          return ring.map(function (p) {
            // 2D, longitude first, 7 decimals.
            return [Math.round(p[0] * DECIMALS) / DECIMALS, Math.round(p[1] * DECIMALS) / DECIMALS];
          });
        }).filter(function (ring) { return ring.length >= 4; });
        if (clean.length) { out.push(clean); }
      });
    });
    return out;
  }

  function editorGeometry() {
    var parts = polygons();
    if (!parts.length) { return null; }
    return parts.length === 1 ? {type: "Polygon", coordinates: parts[0]}
      : {type: "MultiPolygon", coordinates: parts};
  }

  function afterChange() {
    var n = polygons().length;
    $("shape-status").className = "hint";
    $("shape-status").textContent = n === 0 ? "Er staat nog geen vorm op de kaart."
      : n === 1 ? "Uw vorm bestaat uit één deel." : "Uw vorm bestaat uit " + n + " losse delen.";
  }

  // -- streets ---------------------------------------------------------------------------------
  var streetTimer = null;
  var streetAsked = 0;
  $("street-q").addEventListener("input", function () {
    clearTimeout(streetTimer);
    var q = $("street-q").value.trim();
    if (q.length < 2) { $("street-suggestions").replaceChildren(); return; }
    streetTimer = setTimeout(function () { suggest(q); }, 250);
  });
  $("street-q").addEventListener("keydown", function (event) {
    // Enter in the search box must not submit the whole proposal.
    if (event.key === "Enter") {
      event.preventDefault();
      var first = $("street-suggestions").querySelector("button");
      if (first) { first.focus(); }
    }
  });

  function suggest(q) {
    var asked = ++streetAsked;
    request("/streets?q=" + encodeURIComponent(q) + "&limit=10").then(function (answer) {
      if (asked !== streetAsked) { return; } // an older answer arriving late
      var list = $("street-suggestions");
      list.replaceChildren();
      var found = answer.ok && Array.isArray(answer.data) ? answer.data : [];
      $("street-status").textContent = found.length
        ? found.length + (found.length === 1 ? " straat gevonden" : " straten gevonden")
        : "Geen straat gevonden.";
      found.forEach(function (street) {
        var button = el("button", streetLabel(street) + (street.numbers ? " (nrs. " + street.numbers + ")" : ""));
        button.type = "button";
        button.addEventListener("click", function () { addStreet(street); });
        var item = el("li");
        item.appendChild(button);
        list.appendChild(item);
      });
    }, function () {
      $("street-status").textContent = "Het zoeken naar straten lukt nu niet.";
    });
  }

  function streetLabel(street) {
    var place = [street.postcode, street.municipality].filter(Boolean).join(" ");
    return place ? street.name + ", " + place : street.name;
  }

  function addStreet(street) {
    var known = state.streets.some(function (s) {
      return s.name === street.name && s.postcode === street.postcode;
    });
    if (!known) {
      var entry = {name: street.name, postcode: street.postcode || "",
        municipality: street.municipality || "", numbers: "all", range: street.numbers || "",
        now: [], nowNode: null};
      state.streets.push(entry);
      currentGroups(entry);
    }
    $("street-q").value = "";
    $("street-suggestions").replaceChildren();
    $("street-status").textContent = street.name + (known ? " stond al in de lijst." : " toegevoegd.");
    renderStreets();
    $("street-q").focus();
  }

  // Which group each of the street's house numbers is in now, as the public group lists write it
  // ("WABP Terkoest: nrs. 21-21A, 91 (oneven)"): the lookup of the street without a number.
  function currentGroups(entry) {
    request("/lookup?q=" + encodeURIComponent(streetLabel(entry))).then(function (answer) {
      var data = answer.ok ? answer.data : null;
      if (!data) { return; }
      var names = function (zones) {
        return zones.length ? zones.map(function (z) { return z.name; }).join(" en ") : "geen groep";
      };
      if (data.street_parts && data.street_parts.length) {
        entry.now = data.street_parts.map(function (part) {
          return "Nu " + (part.zones.length ? "bij " : "in ") + names(part.zones) + ": nrs. " + part.numbers;
        });
      } else if (data.status === "found" || data.status === "no_zone") {
        var zones = data.zones || [];
        entry.now = ["Nu " + (zones.length ? "bij " : "in ") + names(zones) + ": alle huisnummers"];
      }
      if (entry.nowNode) { showGroups(entry); }
    }, function () { /* only a help: the street can be chosen without it */ });
  }

  function showGroups(entry) {
    entry.nowNode.replaceChildren();
    entry.now.forEach(function (line) { entry.nowNode.appendChild(el("span", line)); });
  }

  function renderStreets() {
    var list = $("streets-chosen");
    list.replaceChildren();
    state.streets.forEach(function (street, i) {
      var item = el("li");
      item.appendChild(el("span", streetLabel(street), "street-name"));
      var id = "street-rule-" + i;
      var label = el("label", "Huisnummers in " + street.name, "wabp-sr");
      label.htmlFor = id;
      var select = el("select");
      select.id = id;
      var kind = typeof street.numbers === "string" ? street.numbers : "range";
      RULES.forEach(function (rule) {
        var option = el("option", rule[1]);
        option.value = rule[0];
        option.selected = kind === rule[0];
        select.appendChild(option);
      });
      // From..to: two number fields, with the street's numbers as the group list writes them.
      var from = el("input"), to = el("input");
      [[from, "van", "from"], [to, "tot", "to"]].forEach(function (f) {
        f[0].type = "number";
        f[0].min = "0";
        f[0].inputMode = "numeric";
        f[0].id = id + "-" + f[2];
        f[0].className = "street-number";
        f[0].setAttribute("aria-label", "Huisnummer " + f[1] + " in " + street.name);
        if (kind === "range") { f[0].value = street.numbers[f[2]]; }
      });
      var span = el("span", null, "street-range");
      span.append(el("span", "nr. "), from, el("span", " tot "), to);
      span.hidden = kind !== "range";
      var known = el("span", street.range ? "In het register: nrs. " + street.range : "", "hint street-known");
      function readRange() {
        street.numbers = {from: parseInt(from.value, 10) || 0, to: parseInt(to.value, 10) || 0};
      }
      select.addEventListener("change", function () {
        span.hidden = select.value !== "range";
        if (select.value === "range") { readRange(); } else { street.numbers = select.value; }
      });
      from.addEventListener("input", readRange);
      to.addEventListener("input", readRange);
      var remove = el("button", "Verwijderen", "button-secondary button-small");
      remove.type = "button";
      remove.setAttribute("aria-label", "Verwijder " + street.name);
      remove.addEventListener("click", function () {
        state.streets.splice(i, 1);
        renderStreets();
        $("street-status").textContent = street.name + " verwijderd.";
        $("street-q").focus();
      });
      street.nowNode = el("span", null, "hint street-known street-now");
      showGroups(street);
      item.append(label, select, span, remove, known, street.nowNode);
      list.appendChild(item);
    });
    $("streets-empty").hidden = state.streets.length > 0;
  }

  // -- submit ----------------------------------------------------------------------------------
  proposalForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var properties = {};
    var zoneId = targetZoneId();
    if (zoneId) {
      properties.zone_id = zoneId;
    } else {
      var name = $("new-name").value.trim();
      if (!name) {
        say(result, "error", ["Geef de nieuwe groep een naam."]);
        $("new-name").focus();
        return;
      }
      properties.name = name;
    }
    var note = $("note").value.trim();
    if (note) { properties.note = note; }
    var feature = {type: "Feature", properties: properties, geometry: null};
    if (method() === "streets") {
      if (!state.streets.length) {
        say(result, "error", ["Kies minstens één straat."]);
        $("street-q").focus();
        return;
      }
      feature.units = {streets: state.streets.map(function (s) {
        var rule = {name: s.name, numbers: s.numbers};
        // Without its postcode, a name such as "Kerkstraat" would mean that street in every town.
        if (/^[1-9]\d{3}$/.test(s.postcode)) { rule.postcode = s.postcode; }
        return rule;
      })};
    } else {
      feature.geometry = editorGeometry();
      if (!feature.geometry) {
        say(result, "error", ["Teken eerst een vorm op de kaart, of kies „Straten kiezen”."]);
        $("tool-draw").focus();
        return;
      }
    }
    submit(feature);
  });

  function submit(feature) {
    var button = $("submit");
    button.disabled = true;
    say(result, null, ["Bezig met versturen…"]);
    request("/proposals", {
      method: "POST",
      auth: true,
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(feature)
    }).then(function (answer) {
      button.disabled = false;
      if (answer.status === 201 && answer.data) {
        showReport(answer.data);
      } else if (answer.status === 401) {
        signOut("Uw aanmelding is verlopen. Meld u opnieuw aan en dien het voorstel opnieuw in.");
      } else {
        showError(answer);
      }
    }, function () {
      button.disabled = false;
      say(result, "error", ["Het voorstel kon niet verstuurd worden. Controleer uw verbinding en probeer het opnieuw."]);
    });
  }

  function showReport(data) {
    loadMine();
    var parts = [el("h3", "Uw voorstel is ingediend"),
      el("p", "Status: " + (STATUS[data.status] || data.status) + ". De gemeente bekijkt het voorstel.")];
    var summary = data.report && Array.isArray(data.report.summary) ? data.report.summary : [];
    if (summary.length) {
      parts.push(el("p", "Wat verandert er?"));
      var list = el("ul", null, "summary");
      summary.forEach(function (line) { list.appendChild(el("li", line)); });
      parts.push(list);
    } else {
      parts.push(el("p", "Dit voorstel verandert niets aan de groepen van de adressen."));
    }
    var link = el("a", "Bekijk het voorstel op de kaart");
    link.href = proposalMapUrl.replace("{id}", encodeURIComponent(String(data.id)));
    var p = el("p");
    p.appendChild(link);
    parts.push(p);
    say(result, "ok", parts);
    result.focus();
  }

  function showError(answer) {
    var data = answer.data || {};
    if (data.code === "invalid_shape" && data.detail && typeof data.detail === "object") {
      var parts = ["De vorm is ongeldig: de grens snijdt zichzelf of delen overlappen elkaar."];
      if (data.detail.reason) { parts.push(el("p", "Technische reden: " + data.detail.reason, "hint")); }
      var repaired = data.detail.repaired;
      if (repaired) {
        parts.push("U kunt de herstelde vorm gebruiken. Controleer ze op de kaart en dien het voorstel opnieuw in.");
        var button = el("button", "Gebruik de herstelde vorm");
        button.type = "button";
        button.addEventListener("click", function () {
          $("method-draw").checked = true;
          $("method-draw").dispatchEvent(new Event("change"));
          loadIntoEditor(repaired);
          say(result, null, ["De herstelde vorm staat nu op de kaart. Controleer ze en dien het voorstel opnieuw in."]);
          $("editor-map").scrollIntoView({block: "center"});
        });
        parts.push(button);
      }
      say(result, "error", parts);
      result.focus();
      return;
    }
    var text = detailText(data);
    var lead = answer.status === 403 ? "U mag voor deze zone geen voorstel indienen."
      : answer.status === 413 ? "Het voorstel is te groot. Teken een eenvoudigere vorm."
      : answer.status >= 500 ? "Er ging iets mis bij de gemeente. Probeer het later opnieuw."
      : "Het voorstel werd niet aanvaard.";
    say(result, "error", text && answer.status < 500 ? [lead, el("p", text, "hint")] : [lead]);
    result.focus();
  }

  // -- start -----------------------------------------------------------------------------------
  if (token()) { loadMe(); }
})();
