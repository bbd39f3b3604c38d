"""The registration form ``/aanmelden`` and the private pages, over HTTP without JavaScript.

A form post is what a browser sends: ``application/x-www-form-urlencoded`` with the hidden CSRF
field, the CSRF cookie, and a checkbox only when it is ticked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service import csrf
from service.app import create_app
from service.ratelimit import RegistrationLimiter
from service.registrations.applicant import by_token
from service.registrations.status import move
from service.routes.signup import form_versions
from service.tables import Consent, Registration
from tests.conftest import DATA
from tests.service.apps import TEST_KEY, app_settings
from zones.rules import load_group_rules

KEY = TEST_KEY.encode()
RULES = load_group_rules(DATA)
VERSIONS = form_versions(RULES)
HEILIGENBORN = "Heiligenbornstraat 12, 3570 Alken"
NO_ZONE = "Stationsstraat 1, 3570 Alken"  # a real address that no zone covers
AMBIGUOUS = "Stations 4"  # Stationsplein 4 or Stationsstraat 4


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # Its own app: these tests post often, and must not eat the rate limit of other modules.
    db = tmp_path_factory.mktemp("signup") / "wabp.sqlite"
    settings = app_settings(DATA, f"sqlite:///{db}", registration_rate_limit=1000)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def web(app_client: TestClient) -> TestClient:
    """The client with no cookies: every test starts as a new visitor."""
    app_client.cookies.clear()
    return app_client


class Html(HTMLParser):
    """The start tags of a page, with their attributes, and its visible text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text_parts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_parts).split())

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]

    def one(self, tag: str, **attrs: str) -> dict[str, str]:
        (found,) = self.find(tag, **attrs)
        return found


def form_token(page: str) -> str:
    return Html(page).one("input", name=csrf.FIELD)["value"]


def answers(**changes: str | None) -> dict[str, str]:
    """A complete, valid application; a change to None leaves the field out (unticked box)."""
    data: dict[str, str | None] = {
        "role": "participant",
        "name": "Jan Testpersoon",
        "address": HEILIGENBORN,
        "relation": "live",
        "phone": "0470 12 34 56",
        "email": "",
        "adult": "ja",
        "accept_rules": "ja",
        "accept_statement": "ja",
        "consent_police": "ja",
        "versions": VERSIONS,
        **changes,
    }
    return {k: v for k, v in data.items() if v is not None}


def post_form(web: TestClient, **changes: str | None) -> httpx.Response:
    """Open the form, then post it with these changes to a valid application."""
    token = form_token(web.get("/aanmelden").text)
    return web.post("/aanmelden", data={csrf.FIELD: token, **answers(**changes)})


def count_registrations(client: TestClient) -> int:
    with client.app.state.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(Registration)) or 0


def apply(web: TestClient, **changes: str | None) -> str:
    """File a valid application and return its private token."""
    token = form_token(web.get("/aanmelden").text)
    r = web.post(
        "/aanmelden", data={csrf.FIELD: token, **answers(**changes)}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    match = re.fullmatch(r"/aanmelding/([A-Za-z0-9_-]+)/bevestiging", r.headers["location"])
    assert match is not None
    return match.group(1)


# --- the empty form -------------------------------------------------------------------------------


def test_form_says_what_happens_before_consent_and_shows_the_versioned_texts(
    web: TestClient,
) -> None:
    r = web.get("/aanmelden")
    page = Html(r.text)

    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert page.one("html")["lang"] == "nl"
    text = page.text
    assert "De andere leden van de WhatsApp-groep zien uw telefoonnummer." in text
    assert "geen foto's van verdachte personen en geen nummerplaten" in text
    assert "De politie krijgt uw gegevens" in text
    assert f"Huishoudelijk reglement (versie {RULES.rules.version})" in text
    assert f"Intentieverklaring (versie {RULES.statement.version})" in text
    assert "Ik ben meerderjarig" in text
    assert "alleen aanmelden als coördinator van een nieuwe groep" in text
    # The warnings come before the consents they are about.
    assert text.index("zien uw telefoonnummer") < text.index("Ik aanvaard het huishoudelijk")
    # The rules text is rendered Markdown, its headings under the page's own.
    assert "<h4>2. Eerst 101 bellen: de SAAR-methode</h4>" in r.text
    assert "**" not in text


def test_every_control_has_a_label_and_radio_groups_a_legend(web: TestClient) -> None:
    r = web.get("/aanmelden")
    page = Html(r.text)
    controls = [a for a in page.find("input") if a.get("type") != "hidden"]
    labelled = {a["for"] for a in page.find("label")}

    assert {a["name"] for a in controls} >= {
        "role",
        "name",
        "address",
        "relation",
        "phone",
        "email",
        "adult",
        "accept_rules",
        "accept_statement",
        "consent_police",
    }
    assert all(a["id"] in labelled for a in controls)
    assert r.text.count("<fieldset") == r.text.count("<legend>") == 3  # role, relation, consents
    phone = page.one("input", name="phone")
    assert (phone["type"], phone["autocomplete"], phone["inputmode"]) == ("tel", "tel", "tel")
    assert page.one("meta", name="viewport")["content"] == "width=device-width, initial-scale=1"
    assert page.find("script") == []


def test_form_sets_a_strict_csrf_cookie_and_safe_headers(web: TestClient) -> None:
    r = web.get("/aanmelden")
    cookie = r.headers["set-cookie"]
    binding = web.cookies[csrf.COOKIE]

    # The cookie binds the browser; the form's token is signed for that binding.
    assert cookie.startswith(f"{csrf.COOKIE}={binding};")
    assert csrf.is_valid(KEY, form_token(r.text), binding)
    assert "SameSite=strict" in cookie
    assert "HttpOnly" in cookie
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src" not in csp and "default-src 'none'" in csp  # so no script may run
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["cache-control"] == "no-store"


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        "no cookie",  # posted from another site: SameSite=Strict kept the cookie home
        "no field",
        "field differs from cookie",
        "cookie and field equal but not signed by us",
        "token of another browser",  # bound to that browser's cookie, not to this one
        "token used before",  # replayed: every token is good for one post
    ],
)
def test_a_post_without_a_valid_csrf_token_is_refused(web: TestClient, case: str) -> None:
    token = form_token(web.get("/aanmelden").text)
    data = answers()
    data[csrf.FIELD] = token
    if case == "no cookie":
        web.cookies.clear()
    elif case == "no field":
        del data[csrf.FIELD]
    elif case == "field differs from cookie":
        data[csrf.FIELD] = csrf.new_token(KEY, "another binding")
    elif case == "cookie and field equal but not signed by us":
        web.cookies.set(csrf.COOKIE, "planted")
        data[csrf.FIELD] = csrf.new_token(b"x" * 32, "planted")
    elif case == "token of another browser":
        web.cookies.clear()
        web.get("/aanmelden")  # this browser gets a binding of its own
    elif case == "token used before":
        first = web.post("/aanmelden", data=data, follow_redirects=False)
        assert first.status_code == 303
    before = count_registrations(web)

    r = web.post("/aanmelden", data=data)

    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert "Laad het formulier opnieuw" in Html(r.text).text
    assert count_registrations(web) == before


def test_csrf_tokens_expire_and_survive_no_tampering() -> None:
    key, binding = b"k" * 32, "browser-1"
    token = csrf.new_token(key, binding, now=1_000_000)
    issued, nonce, signature = token.split(".")

    assert csrf.is_valid(key, token, binding, now=1_000_000 + 60)
    assert not csrf.is_valid(key, token, binding, now=1_000_000 + csrf.MAX_AGE + 1)
    assert not csrf.is_valid(key, f"{int(issued) + 1}.{nonce}.{signature}", binding, now=1_000_000)
    assert not csrf.is_valid(b"o" * 32, token, binding, now=1_000_000)
    assert not csrf.is_valid(key, token, "browser-2", now=1_000_000)
    assert not csrf.is_valid(key, token, None, now=1_000_000)
    assert not csrf.is_valid(key, "", binding, now=1_000_000)


def test_a_token_posted_twice_at_once_is_accepted_once(web: TestClient) -> None:
    # Two posts of one token racing: the used-token table's primary key lets one through.
    from concurrent.futures import ThreadPoolExecutor

    token = form_token(web.get("/aanmelden").text)
    data = {csrf.FIELD: token, **answers()}
    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(
            pool.map(
                lambda _: web.post("/aanmelden", data=data, follow_redirects=False).status_code,
                range(2),
            )
        )
    assert statuses == [303, 403]


# --- a valid application --------------------------------------------------------------------------


def test_valid_application_confirms_the_group_and_gives_the_private_link(
    web: TestClient,
) -> None:
    token = apply(web)
    r = web.get(f"/aanmelding/{token}/bevestiging")
    page = Html(r.text)

    assert r.status_code == 200
    assert "Uw adres hoort bij de groep WABP Heiligenborn." in page.text
    assert "De politie controleert uw aanmelding." in page.text
    assert "voegt de coördinator van WABP Heiligenborn u toe" in page.text
    assert page.find("a", href=f"http://testserver/aanmelding/{token}")
    assert r.headers["referrer-policy"] == "same-origin"  # the link must not leak onwards
    assert r.headers["cache-control"] == "no-store"
    # No personal data on the page: the private link could be shared by mistake.
    assert "Testpersoon" not in r.text and "470" not in r.text


def test_application_is_stored_with_its_consents_from_the_form(web: TestClient) -> None:
    apply(web, name="Mia Formulier", phone="0499 99 88 77", relation="work")
    with web.app.state.sessionmaker() as session:
        row = session.scalar(select(Registration).where(Registration.name == "Mia Formulier"))
        assert row is not None
        consents = {
            c.purpose: c for c in session.scalars(select(Consent).filter_by(registration_id=row.id))
        }

        assert (row.phone, row.relation, row.zone_id) == ("+32499998877", "work", "heiligenborn")
        assert set(consents) == {"rules", "statement", "police"}
        assert consents["rules"].version == RULES.rules.version
        assert {c.channel for c in consents.values()} == {"form"}


def test_reloading_the_confirmation_files_nothing_twice(web: TestClient) -> None:
    token = apply(web)
    before = count_registrations(web)
    for _ in range(2):
        assert web.get(f"/aanmelding/{token}/bevestiging").status_code == 200
    assert count_registrations(web) == before


# --- errors next to their field -------------------------------------------------------------------


def test_errors_are_shown_next_to_their_fields_with_the_values_kept(web: TestClient) -> None:
    r = post_form(
        web,
        name="<script>alert(1)</script>",
        phone="011 21 21 21",  # a landline: no WhatsApp
        consent_police=None,
        email="niet-een-adres",
    )
    page = Html(r.text)
    html = r.text

    assert r.status_code == 422
    assert page.text.startswith("Fout:")  # the title says so first
    summary = [a["href"] for a in page.find("a") if a.get("href", "").startswith("#")]
    assert summary[1:] == ["#name", "#phone", "#email", "#consent_police"]  # [0]: skip link
    name = page.one("input", name="name")
    assert name["value"] == "<script>alert(1)</script>"  # kept, and escaped in the HTML:
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert name["aria-invalid"] == "true"
    assert name["aria-describedby"] == "name-fout"
    assert "Een naam mag geen < of > bevatten." in page.text
    assert "WhatsApp werkt alleen met een gsm-nummer" in page.text
    assert "Vul een geldig e-mailadres in" in page.text
    assert "Zonder toestemming kan de politie uw aanmelding niet nakijken." in page.text
    phone = page.one("input", name="phone")
    assert phone["value"] == "011 21 21 21"
    assert phone["aria-describedby"] == "phone-fout phone-hint"
    assert page.one("input", name="address")["value"] == HEILIGENBORN
    assert "checked" in page.one("input", name="accept_rules")
    assert "checked" not in page.one("input", name="consent_police")
    assert "aria-invalid" not in page.one("input", name="address")


def test_missing_choices_get_dutch_messages_linked_to_the_first_option(web: TestClient) -> None:
    r = post_form(web, role=None, relation=None, adult=None, accept_statement=None)
    page = Html(r.text)

    assert r.status_code == 422
    assert "Kies of u zich aanmeldt als deelnemer of als coördinator." in page.text
    assert "Kies of u op dit adres woont of werkt." in page.text
    assert "U moet meerderjarig zijn om deel te nemen." in page.text
    hrefs = {a["href"] for a in page.find("a")}
    assert {"#role-1", "#relation-1", "#adult", "#accept_statement"} <= hrefs
    assert page.one("fieldset", **{"aria-describedby": "role-fout role-hint"})


def test_an_ambiguous_address_offers_the_candidates_as_radio_buttons(web: TestClient) -> None:
    r = post_form(web, address=AMBIGUOUS)
    page = Html(r.text)
    choices = [a["value"] for a in page.find("input", name="address_choice")]

    assert r.status_code == 422
    assert "Stationsstraat 4, 3570 Alken" in choices
    assert "Stationsplein 4, 3570 Alken" in choices
    assert "Welk adres bedoelt u?" in page.text
    assert all(a["type"] == "radio" for a in page.find("input", name="address_choice"))

    # Picking one files the application at that address (in no zone: as coordinator).
    data = {csrf.FIELD: form_token(r.text), **answers(address=AMBIGUOUS, role="coordinator")}
    data["address_choice"] = "Stationsstraat 4, 3570 Alken"
    done = web.post("/aanmelden", data=data, follow_redirects=False)
    assert done.status_code == 303
    token = done.headers["location"].split("/")[2]
    assert web.get(f"/aanmelding/{token}/gegevens").json()["address"]["street"] == "Stationsstraat"


def test_an_address_in_no_zone_may_apply_only_as_coordinator(web: TestClient) -> None:
    r = post_form(web, address=NO_ZONE)
    page = Html(r.text)

    assert r.status_code == 422
    assert "nog geen WABP-groep" in page.text
    assert "als coördinator" in page.text
    assert page.find("a", href="#role-1")

    token = apply(web, address=NO_ZONE, role="coordinator")
    confirmation = Html(web.get(f"/aanmelding/{token}/bevestiging").text).text
    assert "Uw adres ligt nog in geen enkele zone." in confirmation


def test_an_unknown_address_is_an_error_on_the_address(web: TestClient) -> None:
    r = post_form(web, address="Nergensstraat 999, 3570 Alken")
    page = Html(r.text)

    assert r.status_code == 422
    assert page.one("input", name="address")["aria-invalid"] == "true"
    assert page.find("a", href="#address")


def test_changed_rules_must_be_accepted_again(web: TestClient) -> None:
    r = post_form(web, versions="2020-1/2020-1")
    page = Html(r.text)

    assert r.status_code == 422
    assert "intussen gewijzigd" in page.text
    assert "checked" not in page.one("input", name="accept_rules")


def test_too_many_applications_from_one_address_get_a_dutch_page(web: TestClient) -> None:
    state = web.app.state
    saved = getattr(state, "registration_limiter", None)
    # A day on: the applications of this module's other tests have left the window.
    state.registration_limiter = RegistrationLimiter(
        state.signing_key, 1, 600, clock=lambda: datetime.now(UTC) + timedelta(1)
    )
    try:
        post_form(web, name="Eerste Poging", role=None)
        r = post_form(web)
    finally:
        state.registration_limiter = saved

    assert r.status_code == 429
    assert r.headers["retry-after"]
    assert "Te veel aanvragen" in Html(r.text).text


# --- the private pages ----------------------------------------------------------------------------


def test_status_page_shows_status_download_and_withdraw(web: TestClient) -> None:
    token = apply(web)
    r = web.get(f"/aanmelding/{token}")
    page = Html(r.text)

    assert r.status_code == 200
    assert "De politie kijkt ze na" in page.text
    assert "WABP Heiligenborn" in page.text
    assert page.find("a", href=f"http://testserver/aanmelding/{token}/gegevens")
    assert page.find("a", href=f"http://testserver/aanmelding/{token}/intrekken")
    assert r.headers["referrer-policy"] == "same-origin"


def test_download_my_data_is_a_json_attachment(web: TestClient) -> None:
    token = apply(web, name="Lotte Download", email="lotte@voorbeeld.be")
    r = web.get(f"/aanmelding/{token}/gegevens")
    data = json.loads(r.content)

    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["cache-control"] == "no-store"
    assert (data["name"], data["email"], data["zone_id"]) == (
        "Lotte Download",
        "lotte@voorbeeld.be",
        "heiligenborn",
    )
    assert data["address"]["street"] == "Heiligenbornstraat"


def test_withdrawal_asks_first_then_erases(web: TestClient) -> None:
    token = apply(web)
    ask = web.get(f"/aanmelding/{token}/intrekken")
    form = Html(ask.text).one("form")

    assert ask.status_code == 200
    assert "Weet u zeker" in Html(ask.text).text
    assert form["method"] == "post" and form["action"].endswith(f"/aanmelding/{token}/intrekken")
    assert web.get(f"/aanmelding/{token}").status_code == 200  # asking changed nothing

    # Without the CSRF token (a forged cross-site post) nothing happens.
    assert web.post(f"/aanmelding/{token}/intrekken", data={}).status_code == 403
    assert web.get(f"/aanmelding/{token}").status_code == 200

    done = web.post(f"/aanmelding/{token}/intrekken", data={csrf.FIELD: form_token(ask.text)})
    assert done.status_code == 200
    assert "Uw aanmelding is ingetrokken" in Html(done.text).text
    gone = web.get(f"/aanmelding/{token}")
    assert gone.status_code == 404
    assert "bestaat niet (meer)" in Html(gone.text).text
    assert web.get(f"/aanmelding/{token}/gegevens").status_code == 404


def test_withdrawing_before_being_added_says_so_and_is_not_offered_twice(web: TestClient) -> None:
    token = apply(web)
    # The police approve: the coordinator may now add the member, but has not yet.
    with web.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        move(session, by_token(session, token), "approved", None)
        session.commit()
    ask = web.get(f"/aanmelding/{token}/intrekken")
    done = web.post(f"/aanmelding/{token}/intrekken", data={csrf.FIELD: form_token(ask.text)})
    text = Html(done.text).text
    assert "U zat nog niet in de WhatsApp-groep" in text
    assert "haalt u uit de WhatsApp-groep" not in text
    status = Html(web.get(f"/aanmelding/{token}").text)
    assert "U hebt uw aanmelding ingetrokken" in status.text
    assert not status.find("a", href=f"http://testserver/aanmelding/{token}/intrekken")
    assert "al ingetrokken" in Html(web.get(f"/aanmelding/{token}/intrekken").text).text


def test_an_unknown_private_link_is_a_dutch_404_page(web: TestClient) -> None:
    r = web.get("/aanmelding/bestaat-niet")

    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert Html(r.text).one("html")["lang"] == "nl"


def test_private_tokens_stay_out_of_the_access_log() -> None:
    from service.privacy import redact_path

    assert redact_path("/aanmelding/geheim/bevestiging") == "/aanmelding/***/bevestiging"
    assert redact_path("/aanmelding/geheim") == "/aanmelding/***"


def test_rules_markdown_cannot_inject_html_or_script_links() -> None:
    from maps.documents import document_html

    html = str(document_html("# Titel\n\n<script>alert(1)</script> [klik](javascript:alert(1))"))

    assert "<h3>Titel</h3>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    # An image from another site is not loaded (it would track who reads the rules): a link.
    image = str(document_html("Zie ![logo](https://tracker.example/p.png)."))
    assert "<img" not in image and 'href="https://tracker.example/p.png"' in image
