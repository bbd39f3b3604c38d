// The lookup of a published site: a port of zones/lookup.py (with geo/parse.py, geo/normalize.py,
// geo/matcher.py and geo/places.py) that answers as GET /api/lookup does, without a server.
// It keeps no rule of its own: patterns, abbreviations, thresholds, place names and the Dutch texts
// come from the index that Python wrote (maps/searchindex.py). Read the Python for the reasons; the
// comments here only mark where JavaScript differs. No DOM: search.js shows the answers.
(function (root) {
  "use strict";

  function compile(spec, extra) { return new RegExp(spec[0], spec[1] + (extra || "")); }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  // Python's str.strip(chars).
  function strip(text, chars) {
    var start = 0, end = text.length;
    while (start < end && chars.indexOf(text[start]) >= 0) { start++; }
    while (end > start && chars.indexOf(text[end - 1]) >= 0) { end--; }
    return text.slice(start, end);
  }

  // -- string distances (rapidfuzz's OSA and Jaro-Winkler) -----------------------------------------

  function osa(a, b) {
    var n = a.length, m = b.length, d = [], i, j;
    for (i = 0; i <= n; i++) { d.push([i]); }
    for (j = 1; j <= m; j++) { d[0].push(j); }
    for (i = 1; i <= n; i++) {
      for (j = 1; j <= m; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var best = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          best = Math.min(best, d[i - 2][j - 2] + 1);
        }
        d[i][j] = best;
      }
    }
    return d[n][m];
  }

  function jaro(a, b) {
    if (!a.length && !b.length) { return 1; }
    if (!a.length || !b.length) { return 0; }
    var window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
    var usedA = [], usedB = [], matches = 0, i, j;
    for (i = 0; i < a.length; i++) {
      var lo = Math.max(0, i - window), hi = Math.min(b.length - 1, i + window);
      for (j = lo; j <= hi; j++) {
        if (!usedB[j] && a[i] === b[j]) { usedA[i] = usedB[j] = true; matches++; break; }
      }
    }
    if (!matches) { return 0; }
    var k = 0, swaps = 0;
    for (i = 0; i < a.length; i++) {
      if (!usedA[i]) { continue; }
      while (!usedB[k]) { k++; }
      if (a[i] !== b[k]) { swaps++; }
      k++;
    }
    var t = Math.floor(swaps / 2);
    return (matches / a.length + matches / b.length + (matches - t) / matches) / 3;
  }

  function jaroWinkler(a, b) {
    var sim = jaro(a, b);
    if (sim > 0.7) {
      var prefix = 0;
      while (prefix < Math.min(4, a.length, b.length) && a[prefix] === b[prefix]) { prefix++; }
      sim += prefix * 0.1 * (1 - sim);
    }
    return sim;
  }

  // rapidfuzz's process.extract: best first, ties in the order of the choices.
  function extract(query, choices, scorer, cutoff, limit, lowerIsBetter) {
    var found = [];
    choices.forEach(function (choice, i) {
      var score = scorer(query, choice);
      if (lowerIsBetter ? score <= cutoff : score >= cutoff) { found.push([choice, score, i]); }
    });
    found.sort(function (x, y) {
      return (lowerIsBetter ? x[1] - y[1] : y[1] - x[1]) || x[2] - y[2];
    });
    return found.slice(0, limit);
  }

  // -- geo/normalize.py --------------------------------------------------------------------------------

  // unidecode for what Belgian street and place names hold: accents go, a few letters are spelled out.
  var SPELLED = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "ð": "d", "ı": "i"};

  function Normaliser(rules) {
    this.tokens = rules.abbreviations.tokens;
    this.suffixes = rules.abbreviations.suffixes;
    this.olv = compile(rules.patterns.olv, "g");
  }

  Normaliser.prototype.fold = function (text) {
    var ascii = text.normalize("NFKC").toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "")
      .replace(/[^\x00-\x7f]/g, function (c) { return SPELLED[c] || " "; });
    return ascii.replace(/[^a-z0-9]+/g, " ").trim();
  };

  Normaliser.prototype.expand = function (folded) {
    var self = this;
    folded = folded.replace(this.olv, "onze lieve vrouw ");
    return folded.split(/\s+/).filter(Boolean).map(function (word) {
      if (Object.prototype.hasOwnProperty.call(self.tokens, word)) { return self.tokens[word]; }
      for (var i = 0; i < self.suffixes.length; i++) {
        var short = self.suffixes[i][0], long = self.suffixes[i][1];
        if (word.endsWith(short) && word.length > short.length + 3) {
          return word.slice(0, -short.length) + long;
        }
      }
      return word;
    }).join(" ");
  };

  Normaliser.prototype.key = function (name) {
    return this.expand(this.fold(name)).replace(/ /g, "");
  };

  // -- geo/parse.py -------------------------------------------------------------------------------------

  function Parser(rules) {
    var p = rules.patterns;
    this.number = compile(p.number, "g");
    this.postcode = compile(p.postcode);
    this.postcodeOnly = new RegExp("^(?:" + p.postcode[0] + ")$", p.postcode[1]);
    this.placeOnly = compile(p.place_only);
    this.glued = compile(p.glued, "g");
    this.country = compile(p.country);
  }

  Parser.prototype.clean = function (text) {
    text = text.normalize("NFC").replace(/\p{C}/gu, " ");
    text = text.replace(/;/g, ",").replace(/[\u2013\u2014]/g, "-");
    return strip(text.replace(/\s+/g, " "), " ,");
  };

  Parser.prototype.splitPlace = function (text) {
    text = strip(text.replace(this.country, ""), " ,");
    var postcode = null, m = this.postcode.exec(text);
    if (m) {
      postcode = m[1];
      text = strip(text.slice(0, m.index) + " " + text.slice(m.index + m[0].length), " ,");
    }
    var place = text.replace(/[,.;:/]+/g, " ").replace(/\s+/g, " ").trim();
    return {postcode: postcode, place: place || null};
  };

  Parser.prototype.split = function (street, m, rest, placeParts) {
    var where = this.splitPlace([rest].concat(placeParts).join(" "));
    var g = m.groups;
    return {
      street: strip(street, " ,"),
      housenumber: (g.lead || "").toLowerCase() + g.num + (g.suffix || "").toLowerCase(),
      box: g.box === undefined ? null : g.box,
      postcode: where.postcode,
      place: where.place,
      rangeEnd: g.num2 === undefined ? null : g.num2
    };
  };

  Parser.prototype.alternatives = function (text) {
    var self = this;
    text = this.clean(text).replace(this.glued, " ");
    var parts = text.split(",").map(function (p) { return p.trim(); }).filter(Boolean);
    var streetPart = "", placeParts = [];
    parts.forEach(function (part) {
      if (streetPart && self.placeOnly.test(part)) {
        placeParts.push(part);
      } else if (!streetPart && self.postcodeOnly.test(part.split(" ")[0]) && self.placeOnly.test(part)) {
        placeParts.push(part);
      } else if (!streetPart) {
        streetPart = part;
      } else {
        placeParts.push(part);
      }
    });
    var out = [];
    this.number.lastIndex = 0;
    var m;
    while ((m = this.number.exec(streetPart)) !== null) {
      var end = m.index + m[0].length;
      var before = strip(streetPart.slice(0, m.index), " ,");
      if (/\p{L}/u.test(before)) {
        out.push(this.split(before, m, streetPart.slice(end), placeParts));
      } else if (m.index === 0) {
        var after = strip(streetPart.slice(end), " ,");
        var words = /^[^\d,]+/.exec(after);
        if (words && /\p{L}{3}/u.test(words[0])) {
          out.push(this.split(words[0], m, after.slice(words[0].length), placeParts));
        }
      }
    }
    if (!out.length) {
      var where = this.splitPlace(placeParts.join(" "));
      out.push({street: streetPart.trim(), housenumber: null, box: null,
        postcode: where.postcode, place: where.place, rangeEnd: null});
    }
    return out;
  };

  // -- geo/places.py ------------------------------------------------------------------------------------

  function Places(entries, normaliser) {
    this.normaliser = normaliser;
    this.keys = entries.map(function (e) { return e[0]; });
    this.postcodes = {};
    var self = this;
    entries.forEach(function (e) { self.postcodes[e[0]] = e[1].split(" "); });
  }

  Places.prototype.resolve = function (place) {
    var key = this.normaliser.key(place);
    if (!key) { return null; }
    if (Object.prototype.hasOwnProperty.call(this.postcodes, key)) { return this.postcodes[key].slice(); }
    var best = extract(key, this.keys, jaroWinkler, 0.93, 1, false);
    return best.length ? this.postcodes[best[0][0]].slice() : null;
  };

  // -- geo/matcher.py -----------------------------------------------------------------------------------

  function Matcher(streets, thresholds) {
    var self = this;
    this.t = thresholds;
    this.idsByKey = {};
    var byPostcode = {};
    streets.forEach(function (s, i) {
      (self.idsByKey[s.key] = self.idsByKey[s.key] || []).push(i);
      (byPostcode[s.postcode] = byPostcode[s.postcode] || {})[s.key] = true;
    });
    this.postcodeOf = streets.map(function (s) { return s.postcode; });
    this.keys = Object.keys(this.idsByKey).sort();
    this.keysByPostcode = {};
    Object.keys(byPostcode).forEach(function (p) { self.keysByPostcode[p] = Object.keys(byPostcode[p]).sort(); });
    this.byStart = {};
    this.keys.filter(Boolean).forEach(function (k) {
      var slot = k[0] + k.length;
      (self.byStart[slot] = self.byStart[slot] || []).push(k);
    });
  }

  Matcher.prototype.ids = function (key, postcodes) {
    var ids = this.idsByKey[key] || [], self = this;
    if (!postcodes) { return ids; }
    return ids.filter(function (i) { return postcodes.indexOf(self.postcodeOf[i]) >= 0; });
  };

  Matcher.prototype.choices = function (postcodes) {
    if (!postcodes) { return this.keys; }
    var self = this;
    if (postcodes.length === 1) { return this.keysByPostcode[postcodes[0]] || []; }
    var all = {};
    postcodes.forEach(function (p) { (self.keysByPostcode[p] || []).forEach(function (k) { all[k] = true; }); });
    return Object.keys(all).sort();
  };

  Matcher.prototype.window = function (key, shorter, longer) {
    var out = [];
    for (var m = key.length - shorter; m <= key.length + longer; m++) {
      out = out.concat(this.byStart[key[0] + m] || []);
    }
    return out;
  };

  Matcher.prototype.match = function (key, postcodes, hasNumber) {
    if (!key) { return {status: "none", keys: []}; }
    if (this.ids(key, postcodes).length) { return {status: "exact", keys: [[key, 1]]}; }
    var t = this.t;
    var maxEdits = key.length >= 6 ? t.edits : 1;
    var reach = maxEdits + t.edit_margin - 1;
    var choices = postcodes ? this.choices(postcodes) : this.window(key, reach, reach);
    var near = extract(key, choices, osa, reach, 8, true);
    var edits = {}, names = [];
    near.forEach(function (n) { edits[n[0]] = n[1]; names.push(n[0]); });
    var least = names.length ? Math.min.apply(null, names.map(function (k) { return edits[k]; })) : null;
    var typo = null;
    if (names.length && least <= maxEdits) {
      typo = this.typo(key, edits, names, maxEdits, hasNumber);
      if (typo.status === "fuzzy") { return typo; }
    }
    if (!postcodes) { choices = this.window(key, 4, 8); }
    var similar = extract(key, choices, jaroWinkler, t.suggest, 5, false);
    if (!similar.length) { return typo || {status: "none", keys: []}; }
    var top = similar[0][0], s1 = similar[0][1], s2 = similar.length > 1 ? similar[1][1] : 0;
    var topEdits = Object.prototype.hasOwnProperty.call(edits, top) ? edits[top] : reach + 1;
    if (s1 >= t.accept && s1 - s2 >= t.margin && (!names.length || topEdits <= least) &&
        (!hasNumber || hasNumber(top))) {
      return {status: "fuzzy", keys: [[top, s1]]};
    }
    return typo || {status: "ambiguous", keys: similar.map(function (s) { return [s[0], s[1]]; })};
  };

  Matcher.prototype.typo = function (key, edits, names, maxEdits, hasNumber) {
    var margin = this.t.edit_margin, score = {};
    names.forEach(function (k) { score[k] = jaroWinkler(key, k); });
    var ranked = names.slice().sort(function (a, b) {
      return edits[a] - edits[b] || score[b] - score[a] || (a < b ? -1 : a > b ? 1 : 0);
    });
    var best = ranked[0], d1 = edits[best];
    var rivals = ranked.slice(1).filter(function (k) { return edits[k] < d1 + margin; });
    if (!rivals.length || (hasNumber && rivals.every(function (k) { return edits[k] > d1; }) &&
        hasNumber(best) && !rivals.some(function (k) { return hasNumber(k); }))) {
      return {status: "fuzzy", keys: [[best, score[best]]]};
    }
    return {status: "ambiguous", keys: ranked.filter(function (k) { return edits[k] <= maxEdits; })
      .slice(0, 5).map(function (k) { return [k, score[k]]; })};
  };

  // -- zones/lookup.py ----------------------------------------------------------------------------------

  var SCALE = 100000;

  function zoneSet(ref) {
    if (ref === null || ref === undefined || ref === -1) { return []; }
    return typeof ref === "number" ? [ref] : ref.slice().sort(function (a, b) { return a - b; });
  }

  function Locator(index) {
    var r = index.r;
    this.index = index;
    this.detail = !!index.detail;
    this.texts = r.texts;
    this.maxCandidates = r.max_candidates;
    this.maxQuery = r.max_query;
    this.normaliser = new Normaliser(r);
    this.parser = new Parser(r);
    this.places = new Places(r.places, this.normaliser);
    this.registerNumber = compile(r.patterns.register_number);
    var self = this;
    this.streets = index.s.map(function (s, i) {
      return {id: i, name: s[0], key: s[1], postcode: s[2], municipality: index.m[s[3]],
        lat: s[4], lon: s[5], zone: s[6], runs: s[7], rules: s[9], boxes: !!s[10], parts: s[11] || [],
        addresses: s[8].map(function (a) {
          var typed = self.parseNumber(a[0]);
          return {housenumber: a[0], key: numberKey(a[0]), number: typed ? typed.number : -1,
            zones: zoneSet(a[1]), dlat: a[2], dlon: a[3], near: zoneSet(a[4])};
        })};
    });
    this.postcodes = {};
    this.streets.forEach(function (s) { self.postcodes[s.postcode] = true; });
    this.matcher = new Matcher(this.streets, r.thresholds);
  }

  function numberKey(text) { return text.replace(/\s+/g, "").toLowerCase(); }

  Locator.prototype.parseNumber = function (text) {
    var m = this.registerNumber.exec(text);
    if (!m) { return null; }
    var suffix = m.groups.suffix.toLowerCase();
    if (m.groups.sub !== undefined) { suffix += "_" + m.groups.sub; }
    return {number: parseInt(m.groups.num, 10), suffix: suffix};
  };

  Locator.prototype.lookup = function (query) {
    query = query.trim();
    if (!query || query.length > this.maxQuery) {
      return this.answer("not_found", {message: this.texts.no_street, actions: ["report_problem"]});
    }
    var self = this;
    var options = this.parser.alternatives(query);
    if (options.length > 1) {
      var exact = options.filter(function (o) { return self.matcher.ids(self.normaliser.key(o.street)).length; });
      if (exact.length > 1) {
        var numbered = exact.filter(function (o) { return self.numberExists(o); });
        if (numbered.length) { exact = numbered; }
      }
      if (exact.length) { return this.resolve(exact[0]); }
      var first = this.resolve(options[0]);
      if (first.status !== "not_found") { return first; }
      for (var i = 1; i < options.length; i++) {
        var result = this.resolve(options[i]);
        if (result.status !== "not_found") { return result; }
      }
      return first;
    }
    return this.resolve(options[0]);
  };

  Locator.prototype.answer = function (status, fields) {
    var out = {status: status, address: null, location: null, zones: [], candidates: [],
      precision: null, warnings: [], actions: [], message: "", certain: this.detail, next_steps: [], street_parts: []};
    Object.keys(fields).forEach(function (k) { out[k] = fields[k]; });
    return out;
  };

  Locator.prototype.notice = function (code, values, zones) {
    return {code: code, message: format(this.texts.warnings[code], values || {}), zones: this.refs(zones || [])};
  };

  Locator.prototype.refs = function (zones) {
    var z = this.index.z;
    return zones.map(function (i) { return {id: z[i][0], name: z[i][1], area: z[i][2], href: z[i][3]}; });
  };

  Locator.prototype.resolve = function (parsed) {
    if (!/\p{L}/u.test(parsed.street)) {
      return this.answer("not_found", {message: this.texts.no_street, actions: ["report_problem"]});
    }
    var notices = [];
    var postcodes = this.allowedPostcodes(parsed, notices);
    if (postcodes && postcodes.status) { return postcodes; }
    return this.matchStreet(parsed, postcodes, notices);
  };

  Locator.prototype.notServed = function (postcode) {
    return this.answer("not_found", {message: format(this.texts.not_served, {postcode: postcode}),
      actions: ["contact_municipality"], outside: true});
  };

  Locator.prototype.allowedPostcodes = function (parsed, notices) {
    var self = this;
    if (parsed.postcode !== null) {
      if (!this.postcodes[parsed.postcode]) { return this.notServed(parsed.postcode); }
      return [parsed.postcode];
    }
    if (parsed.place) {
      var postcodes = this.places.resolve(parsed.place);
      if (postcodes === null) {
        notices.push(this.notice("place_ignored", {place: parsed.place}));
        return null;
      }
      var served = postcodes.filter(function (p) { return self.postcodes[p]; });
      if (!served.length) { return this.notServed(postcodes.sort()[0]); }
      return served;
    }
    return null;
  };

  Locator.prototype.hasNumber = function (parsed, postcodes) {
    if (parsed.housenumber === null) { return null; }
    var self = this;
    return function (key) {
      return self.matcher.ids(key, postcodes).some(function (sid) { return self.find(sid, parsed)[0].length; });
    };
  };

  Locator.prototype.numberExists = function (parsed) {
    var has = this.hasNumber(parsed, null);
    return has !== null && has(this.normaliser.key(parsed.street));
  };

  Locator.prototype.addressesWith = function (sid, housenumber) {
    var key = numberKey(housenumber);
    return this.streets[sid].addresses.filter(function (a) { return a.key === key; });
  };

  // [addresses, box left over] of the typed number on a street (zones/lookup.py `_find_many`).
  Locator.prototype.find = function (sid, parsed) {
    var number = parsed.housenumber;
    if (number === null) { return [[], parsed.box]; }
    if (parsed.box) {
      var sub = this.addressesWith(sid, number + "_" + parsed.box);
      if (sub.length) { return [sub, null]; }
    }
    var plain = this.addressesWith(sid, number);
    return [plain.length ? plain : this.addressesWith(sid, number + "_"), parsed.box];
  };

  Locator.prototype.exactKey = function (typed) {
    var key = this.normaliser.key(typed);
    return this.matcher.ids(key).length ? {status: "exact", keys: [[key, 1]]} : {status: "none", keys: []};
  };

  Locator.prototype.matchStreet = function (parsed, postcodes, notices) {
    var self = this, matcher = this.matcher;
    var key = this.normaliser.key(parsed.street);
    var match = matcher.match(key, postcodes, this.hasNumber(parsed, postcodes));
    var idsOf = function (m, codes) {
      var out = [];
      m.keys.forEach(function (k) { out = out.concat(matcher.ids(k[0], codes)); });
      return out;
    };
    if ((match.status === "none" || match.status === "ambiguous") && postcodes !== null) {
      var wider = match.status === "none"
        ? matcher.match(key, null, this.hasNumber(parsed, null))
        : this.exactKey(parsed.street);
      if (wider.status === "exact" || (match.status === "none" && wider.status !== "none")) {
        var both = idsOf(wider, null).concat(idsOf(match, postcodes));
        notices.push(this.notice("place_mismatch"));
        return this.ambiguous(parsed, both, notices);
      }
    }
    if (match.status === "none") {
      return this.answer("not_found", {message: this.texts.not_found, warnings: notices,
        actions: ["contact_municipality", "report_problem"]});
    }
    var ids = idsOf(match, postcodes), found = null;
    if (match.status !== "ambiguous" && ids.length > 1 && parsed.housenumber !== null) {
      found = {};
      ids.forEach(function (sid) { found[sid] = self.find(sid, parsed); });
      var withNumber = ids.filter(function (sid) { return found[sid][0].length; });
      if (withNumber.length === 1) {
        var street = this.streets[withNumber[0]];
        notices.push(this.notice("place_chosen", {
          place: (street.postcode + " " + street.municipality).trim(),
          number: parsed.housenumber.toUpperCase()
        }));
        ids = withNumber;
      }
    }
    if (match.status === "ambiguous" || ids.length > 1) { return this.ambiguous(parsed, ids, notices, found); }
    if (match.status === "fuzzy") { notices.push(this.notice("street_corrected", {street: this.streets[ids[0]].name})); }
    return this.onStreet(parsed, ids[0], notices);
  };

  Locator.prototype.onStreet = function (parsed, sid, notices) {
    if (parsed.housenumber === null) { return this.wholeStreet(sid, notices); }
    if (parsed.rangeEnd) { notices.push(this.notice("housenumber_range", {number: parsed.housenumber})); }
    var hit = this.find(sid, parsed), box = hit[1], self = this;
    if (box && !this.streets[sid].boxes) { notices.push(this.notice("box_unverified", {box: box})); }
    if (!hit[0].length && !this.detail) {
      // A large register's index lists only exceptions: the street's zone or its runs decide,
      // and the answer says it is not certain (answer.certain is false).
      var guess = this.fromRuns(sid, parsed);
      if (guess) { return this.result(guess, notices); }
    }
    var options = hit[0].length
      ? this.distinct(hit[0].map(function (a) { return self.resolveAddress(sid, a, box); }))
      : this.resolveMissingNumber(sid, parsed);
    if (options.length !== 1) {
      return this.resultAmbiguous(options.map(function (f) { return self.candidate(f); }), notices);
    }
    return this.result(options[0], notices);
  };

  Locator.prototype.fromRuns = function (sid, parsed) {
    var street = this.streets[sid], typed = this.parseNumber(parsed.housenumber);
    var ref = street.zone, offset = null;
    if (ref === null && typed) {
      ref = undefined;
      for (var i = 0; i < street.runs.length; i++) {
        var r = street.runs[i];
        if (r[0] <= typed.number && typed.number <= r[1] && (r[3] === 0 || r[3] === (typed.number % 2 ? 1 : 2))) {
          ref = r[2];
          offset = {dlat: r[4], dlon: r[5]};
          break;
        }
      }
    }
    if (ref === null || ref === undefined) { return null; }
    return {address: {street: street.name, housenumber: parsed.housenumber.toUpperCase(), box: parsed.box,
      postcode: street.postcode, municipality: street.municipality},
      zones: zoneSet(ref), location: (offset && this.position(street, offset)) || this.centre(street),
      precision: "street", notices: []};
  };

  Locator.prototype.position = function (street, a) {
    if (a.dlat === null || a.dlat === undefined || street.lat === null) { return null; }
    return {lat: (street.lat + a.dlat) / SCALE, lon: (street.lon + a.dlon) / SCALE};
  };

  Locator.prototype.centre = function (street) {
    return street.lat === null ? null : {lat: street.lat / SCALE, lon: street.lon / SCALE};
  };

  Locator.prototype.resolveAddress = function (sid, a, box) {
    var street = this.streets[sid], notices = [];
    if (a.near.length) { notices.push(this.notice("near_zone_boundary", {}, a.near)); }
    var location = this.position(street, a), precision = "address";
    if (!location) {
      location = this.estimate(street, a.housenumber);
      precision = location ? "interpolated" : "street";
      location = location || this.centre(street);
      notices.push(this.notice("approximate_position"));
    }
    return {address: {street: street.name, housenumber: a.housenumber, box: box || null,
      postcode: street.postcode, municipality: street.municipality},
      zones: a.zones, location: location, precision: precision, notices: notices};
  };

  // The nearest positioned number on the same side (the service interpolates; on a map the
  // difference is a few metres).
  Locator.prototype.estimate = function (street, housenumber) {
    var typed = this.parseNumber(housenumber), self = this;
    if (!typed) { return null; }
    var best = null;
    street.addresses.forEach(function (a) {
      if (a.number < 0 || a.number % 2 !== typed.number % 2 || a.dlat === null) { return; }
      if (!best || Math.abs(a.number - typed.number) < Math.abs(best.number - typed.number)) { best = a; }
    });
    return best ? self.position(street, best) : null;
  };

  Locator.prototype.distinct = function (found) {
    var byZone = {}, order = [];
    found.slice().sort(function (a, b) {
      return (a.precision !== "address") - (b.precision !== "address");
    }).forEach(function (f) {
      var key = f.zones.join(",");
      if (!Object.prototype.hasOwnProperty.call(byZone, key)) { byZone[key] = f; order.push(key); }
    });
    return order.map(function (k) { return byZone[k]; });
  };

  Locator.prototype.covers = function (spec, typed) {
    if (spec === "all") { return true; }
    if (spec === "even") { return typed.number % 2 === 0; }
    if (spec === "odd") { return typed.number % 2 === 1; }
    if (spec[2] === 1 && typed.number % 2 !== 1) { return false; }
    if (spec[2] === 2 && typed.number % 2 !== 0) { return false; }
    return spec[0] <= typed.number && typed.number <= spec[1];
  };

  Locator.prototype.resolveMissingNumber = function (sid, parsed) {
    var street = this.streets[sid], self = this;
    var typed = this.parseNumber(parsed.housenumber);
    var address = {street: street.name, housenumber: parsed.housenumber.toUpperCase(), box: parsed.box,
      postcode: street.postcode, municipality: street.municipality};
    var notices = [this.notice("housenumber_not_found", {number: parsed.housenumber})];
    var location = this.estimate(street, parsed.housenumber) || this.centre(street);
    var precision = location ? "interpolated" : "street";
    var byRule = typed === null ? [] : street.rules.filter(function (r) { return self.covers(r[1], typed); })
      .map(function (r) { return r[0]; });
    if (byRule.length) {
      return [{address: address, zones: byRule, location: location, precision: precision, notices: notices}];
    }
    var pair = this.neighbours(street, typed);
    var sets = {};
    pair.forEach(function (a) { sets[a.zones.join(",")] = a.zones; });
    var keys = Object.keys(sets);
    if (keys.length === 1) {
      return [{address: address, zones: sets[keys[0]], location: location, precision: precision, notices: notices}];
    }
    return pair.map(function (a) { return self.resolveAddress(sid, a, null); });
  };

  // The nearest lower and higher numbers on the same side; the first in street order on a tie.
  Locator.prototype.neighbours = function (street, typed) {
    if (typed === null) { return []; }
    var lower = null, higher = null;
    street.addresses.forEach(function (a) {
      if (a.number < 0 || a.number % 2 !== typed.number % 2) { return; }
      if (a.number < typed.number && (!lower || a.number > lower.number)) { lower = a; }
      if (a.number > typed.number && (!higher || a.number < higher.number)) { higher = a; }
    });
    return [lower, higher].filter(Boolean);
  };

  Locator.prototype.wholeStreet = function (sid, notices) {
    var street = this.streets[sid], byZone = {}, order = [], self = this;
    street.addresses.forEach(function (a) {
      var key = a.zones.join(",");
      if (!Object.prototype.hasOwnProperty.call(byZone, key)) { byZone[key] = a; order.push(key); }
    });
    if (order.length === 1) {
      notices.push(this.notice("housenumber_missing"));
      return this.result({address: {street: street.name, housenumber: null, box: null,
        postcode: street.postcode, municipality: street.municipality},
        zones: byZone[order[0]].zones, location: this.centre(street), precision: "street", notices: []}, notices);
    }
    var result = this.resultAmbiguous(order.map(function (k) {
      return self.candidate(self.resolveAddress(sid, byZone[k], null));
    }), notices);
    result.message = this.texts.ambiguous_number;
    result.actions = ["add_housenumber", "pick_candidate"];
    result.street_parts = street.parts.map(function (p) { return {zones: self.refs(p[0]), numbers: p[1]}; });
    return result;
  };

  Locator.prototype.candidate = function (f) {
    return {address: f.address, location: f.location, zones: this.refs(f.zones)};
  };

  Locator.prototype.label = function (a) {
    var number = a.housenumber ? " " + a.housenumber : "";
    var box = a.box ? " bus " + a.box : "";
    // A municipality that merged in 2025 is named as the service names it (index "ml").
    var shown = (this.index.ml || {})[a.postcode + " " + a.municipality] || a.municipality;
    return (a.street + number + box + ", " + a.postcode + " " + shown).trim();
  };

  Locator.prototype.result = function (f, notices) {
    var refs = this.refs(f.zones), label = this.label(f.address);
    var names = refs.map(function (z) { return z.name; });
    var listed = names.length === 1 ? names[0] : names.slice(0, -1).join(", ") + " en " + names[names.length - 1];
    return this.answer(refs.length ? "found" : "no_zone", {
      address: f.address, location: f.location, precision: f.precision,
      warnings: notices.concat(f.notices), zones: refs,
      message: !refs.length ? format(this.texts.no_zone, {label: label})
        : refs.length === 1 ? format(this.texts.found_one, {label: label, zone: names[0]})
          : format(this.texts.found_many, {label: label, zones: listed}),
      actions: refs.length ? ["join_group"] : ["start_group"]
    });
  };

  Locator.prototype.ambiguous = function (parsed, streetIds, notices, found) {
    var self = this, seen = {}, streets = [];
    streetIds.forEach(function (sid) { if (!seen[sid]) { seen[sid] = true; streets.push(sid); } });
    var on = found || {};
    streets.forEach(function (sid) { if (!on[sid]) { on[sid] = self.find(sid, parsed); } });
    // A stable sort: streets with the house number first.
    streets.sort(function (a, b) { return (!on[a][0].length) - (!on[b][0].length); });
    var candidates = streets.slice(0, this.maxCandidates).map(function (sid) {
      var hit = on[sid];
      if (hit[0].length) { return self.candidate(self.resolveAddress(sid, hit[0][0], hit[1])); }
      var street = self.streets[sid];
      return {address: {street: street.name, housenumber: parsed.housenumber, box: null,
        postcode: street.postcode, municipality: street.municipality}, location: self.centre(street), zones: []};
    });
    return this.resultAmbiguous(candidates, notices);
  };

  Locator.prototype.resultAmbiguous = function (candidates, notices) {
    if (!candidates.length) {
      return this.answer("not_found", {message: this.texts.not_found, warnings: notices,
        actions: ["contact_municipality", "report_problem"]});
    }
    return this.answer("ambiguous", {candidates: candidates.slice(0, this.maxCandidates), warnings: notices,
      message: this.texts.ambiguous, actions: ["pick_candidate", "contact_municipality"]});
  };

  // -- zones/nextsteps.py ---------------------------------------------------------------------------

  function joinLink(joinUrl, address) {
    if (!address) { return joinUrl; }
    return joinUrl + (joinUrl.indexOf("?") >= 0 ? "&" : "?") + "adres=" + encodeURIComponent(address).replace(/%20/g, "+");
  }

  Locator.prototype.isOutside = function (result) {
    return result.status === "not_found" && result.actions.length === 1 &&
      result.actions[0] === "contact_municipality";
  };

  // The steps that fit an answer; `contacts` as the index's "c", `joinUrl` the site's form or null.
  Locator.prototype.nextSteps = function (result, contacts, joinUrl) {
    var steps = this.texts.steps, out = [];
    var label = result.address ? this.label(result.address) : null;
    // A dataset of several municipalities: the contacts of the address's own (zones/nextsteps.py).
    var own = result.address && (contacts.municipalities || {})[result.address.municipality];
    if (own) {
      contacts = Object.assign({}, contacts, {municipality: result.address.municipality,
        contact: own[0], contact_url: own[1]});
    }
    var contact = contacts.contact || this.texts.no_contact;
    var values = {municipality: contacts.municipality, contact: contact};
    var ask = {code: "contact_municipality", text: format(steps.contact_municipality, values), href: contacts.contact_url || null};
    var via = {code: "join_via_municipality", text: format(steps.join_via_municipality, values), href: contacts.contact_url || null};
    if (result.status === "found") {
      result.zones.forEach(function (zone) {
        if (joinUrl) {
          out.push({code: "join_group", text: format(steps.join_group, {zone: zone.name}), href: joinLink(joinUrl, label)});
        }
        var group = (contacts.groups || {})[zone.id];
        if (group) { out.push({code: "group_contact", text: format(steps.group_contact, {zone: zone.name, contact: group}), href: null}); }
      });
      if (!joinUrl) { out.push(via); }
    } else if (result.status === "no_zone") {
      if (joinUrl) {
        out.push({code: "start_group", text: steps.start_group, href: joinLink(joinUrl, label)});
        out.push(ask);
      } else {
        out.push(via);
      }
    } else if (result.status === "ambiguous") {
      out.push(result.actions.indexOf("add_housenumber") >= 0
        ? {code: "add_housenumber", text: steps.add_housenumber, href: null}
        : {code: "pick_candidate", text: steps.pick_candidate, href: null});
    } else if (this.isOutside(result)) {
      out.push({code: "outside", text: format(steps.outside, {municipality: contacts.municipality}), href: null});
    } else {
      out.push(ask);
    }
    out.push({code: "call_police", text: steps.call_police, href: "tel:101"});
    return out;
  };

  root.WABP_LOCATOR = {
    create: function (index) { return new Locator(index); },
    // For the tests: the pieces that Python has too.
    parts: {osa: osa, jaroWinkler: jaroWinkler, Normaliser: Normaliser, Parser: Parser}
  };
})(typeof window !== "undefined" ? window : globalThis);
