// The shell of /proposals/{id}/map. A link cannot carry a bearer token, so this page (which holds no
// data) fetches the same URL again with the token of this tab and replaces itself with the answer:
// the comparison map, rendered by the service only for someone who may read the proposal. Without a
// token, or with an expired one, it asks to sign in first. The token is the one /voorstel keeps in
// sessionStorage: same tab, same origin, gone when the tab is closed.
(function () {
  "use strict";

  var TOKEN_KEY = "wabp.voorstel.token";
  // The map is written into this page, so its scripts run under this page's policy: the service
  // answers it with this script's nonce (service/headers.py).
  var NONCE = document.currentScript ? document.currentScript.nonce : "";
  var root = document.getElementById("inhoud");
  var api = root.dataset.api;
  var $ = function (id) { return document.getElementById(id); };
  var loadMessage = $("load-message");
  var signinSection = $("aanmelden");
  var signinMessage = $("signin-message");

  function say(target, kind, text) {
    target.className = "message" + (kind ? " message--" + kind : "");
    target.textContent = text;
  }

  function askSignIn(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    say(loadMessage, null, "");
    signinSection.hidden = false;
    say(signinMessage, message ? "error" : null, message || "");
    $("signin-email").focus();
  }

  function load() {
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) { askSignIn(null); return; }
    signinSection.hidden = true;
    say(loadMessage, null, "Het voorstel wordt geladen…");
    fetch(window.location.pathname, {
      headers: {Authorization: "Bearer " + token, Accept: "text/html", "X-CSP-Nonce": NONCE},
      cache: "no-store"
    }).then(function (response) {
      if (response.ok) {
        return response.text().then(function (html) {
          // The answer is a whole page of our own (maps/compare.py): let the parser build it, so
          // its scripts run in order, exactly as when it is served directly.
          document.open();
          document.write(html);
          document.close();
        });
      }
      if (response.status === 401) {
        askSignIn("Uw aanmelding is verlopen of ongeldig. Meld u opnieuw aan.");
      } else if (response.status === 403) {
        say(loadMessage, "error", "Met dit account kunt u geen voorstellen bekijken.");
      } else if (response.status === 404) {
        say(loadMessage, "error", "Dit voorstel bestaat niet, of u mag het niet bekijken.");
      } else {
        say(loadMessage, "error", "Het voorstel kon niet geladen worden. Probeer het later opnieuw.");
      }
      return null;
    }).catch(function () {
      say(loadMessage, "error", "Het voorstel is nu niet bereikbaar. Probeer het later opnieuw.");
    });
  }

  $("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var email = $("signin-email").value.trim();
    var password = $("signin-password").value;
    if (!email || !password) {
      say(signinMessage, "error", "Vul uw e-mailadres en uw wachtwoord in.");
      (email ? $("signin-password") : $("signin-email")).focus();
      return;
    }
    say(signinMessage, null, "Bezig met aanmelden…");
    fetch(api + "/auth/token", {
      method: "POST",
      headers: {"Content-Type": "application/x-www-form-urlencoded", Accept: "application/json"},
      body: new URLSearchParams({username: email, password: password}).toString()
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok && data && data.access_token) {
          sessionStorage.setItem(TOKEN_KEY, data.access_token);
          $("signin-password").value = "";
          load();
        } else if (response.status === 429) {
          say(signinMessage, "error", "Te veel pogingen. Wacht even en probeer het opnieuw.");
        } else {
          say(signinMessage, "error", "Dat e-mailadres en wachtwoord horen niet bij elkaar. Probeer het opnieuw.");
          $("signin-password").focus();
        }
      });
    }).catch(function () {
      say(signinMessage, "error", "De aanmelding is nu niet bereikbaar. Probeer het later opnieuw.");
    });
  });

  load();
})();
