"""Each staff role's main story in a real browser (Debian Chromium) on the Alken data.

360 px wide; no staff page holds a script (and their CSP allows none), so what works here works
with JavaScript off (the /voorstel drawing page is the exception: it is a map). axe finds no
violation on any page visited and nothing scrolls sideways. Set ``WABP_SCREENSHOTS=DIR`` to keep a
screenshot of each page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from maps.pdf import CHROMIUM
from service.app import create_app
from tests.service.served import served
from tests.service.staff import PASSWORD, STAFF, staff_settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"needs Debian chromium at {CHROMIUM} (apt-get install -y chromium)",
    ),
]

PHONE = {"width": 360, "height": 740}
SCREENSHOTS = os.environ.get("WABP_SCREENSHOTS")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve a copy of the Alken data with the staff accounts of tests.service.staff."""
    settings = staff_settings(tmp_path_factory.mktemp("staff-browser"))
    with served(create_app(settings)) as url:
        yield url


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A phone-sized browser (a new cookie jar: one person); axe needs JavaScript to run."""
    context = browser.new_context(viewport=PHONE)
    try:
        yield context
    finally:
        context.close()


def check(page: Page, name: str) -> None:
    """No script, no axe violation, no sideways scrolling at 360 px; a screenshot when asked."""
    from axe_playwright_python.sync_playwright import Axe

    assert page.locator("script").count() == 0, name

    results = Axe().run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def sign_in(page: Page, server: str, who: str) -> None:
    """Sign in on /beheer as a person does: type into the labelled fields, press the button."""
    page.goto(f"{server}/beheer")
    page.get_by_label("E-mailadres").fill(STAFF[who][0])
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Inloggen").click()


def click(page: Page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def apply_on_the_form(page: Page, server: str, name: str) -> None:
    """Apply through /aanmelden as a resident of Heiligenbornstraat 12."""
    page.goto(f"{server}/aanmelden")
    page.get_by_label("deelnemer aan de groep van mijn buurt").check()
    page.get_by_label("Voornaam en naam").fill(name)
    page.get_by_label("Adres", exact=True).fill("Heiligenbornstraat 12, 3570 Alken")
    page.get_by_label("ik woon op dit adres").check()
    page.get_by_label("Gsm-nummer").fill("0470 98 76 54")
    page.get_by_label("Ik ben meerderjarig (18 jaar of ouder).").check()
    page.get_by_label("Ik aanvaard het huishoudelijk reglement", exact=False).check()
    page.get_by_label("Ik onderschrijf de intentieverklaring", exact=False).check()
    page.get_by_label("Ik ga akkoord dat mijn gegevens naar de politie gaan", exact=False).check()
    click(page, "Aanmelding versturen")
    assert page.url.endswith("/bevestiging")


def test_police_approve_and_the_coordinator_adds_the_member(browser: Browser, server: str) -> None:
    name = "Browser Nieuwlid"
    resident = browser.new_context(viewport=PHONE, java_script_enabled=False)
    apply_on_the_form(resident.new_page(), server, name)
    resident.close()
    # And one in no zone, whose card asks the police to choose a group first.
    import httpx

    from tests.service.apps import application

    no_zone = application(
        role="coordinator", name="Browser Starter", address="Aardbruggenstraat 16, 3570 Alken"
    )
    assert httpx.post(f"{server}/api/registrations", json=no_zone).status_code == 201

    police = browser.new_context(viewport=PHONE)
    page = police.new_page()
    sign_in(page, server, "police")
    check(page, "sign-in-done-police-queue")
    assert page.url == f"{server}/beheer/politie"
    # The application in no zone: its choice of group is a list whose every label shows whole.
    starter = page.locator("li.card", has_text="Browser Starter")
    choices = starter.get_by_role("group", name="Groep kiezen voor dit adres")
    assert choices.is_visible()
    labels = choices.locator("label")
    assert labels.first.inner_text() == "Nieuwe groep: deze coördinator start ze"
    assert labels.count() > 2
    card_right = starter.evaluate("n => n.getBoundingClientRect().right")
    for right, scroll, client in labels.evaluate_all(
        "ns => ns.map(n => [n.getBoundingClientRect().right, n.scrollWidth, n.clientWidth])"
    ):
        assert right <= card_right and scroll <= client
    starter.get_by_label("WABP Terkoest", exact=True).check()
    click(page, "Groep kiezen: Browser Starter")
    check(page, "police-queue-group-chosen")
    assert starter.get_by_role("group", name="Groep kiezen voor dit adres").count() == 0
    assert "WABP Terkoest" in page.locator("li.card", has_text="Browser Starter").inner_text()
    card = page.locator("li.card", has_text=name)
    assert "Heiligenbornstraat 12, 3570 Alken" in card.inner_text()
    assert "WABP Heiligenborn" in card.inner_text()
    click(page, f"Goedkeuren: {name}")
    assert "De aanmelding is goedgekeurd." in page.inner_text("main")
    check(page, "police-queue-after-approval")
    page.get_by_role("link", name="Besliste aanmeldingen bekijken").click()
    assert name in page.inner_text("main")
    check(page, "police-decided")
    click(page, "Afmelden")
    assert "U bent afgemeld." in page.inner_text("main")
    check(page, "sign-in-after-sign-out")
    police.close()

    coordinator = browser.new_context(viewport=PHONE)
    page = coordinator.new_page()
    sign_in(page, server, "coord")
    assert page.url == f"{server}/beheer/groep"
    card = page.locator("li.card", has_text=name)
    assert card.get_by_role("link", name="0470 98 76 54").get_attribute("href") == (
        "tel:+32470987654"
    )
    assert "Heiligenbornstraat" in card.inner_text()
    check(page, "coordinator-my-group")
    click(page, f"Toegevoegd: {name}")
    assert "het lid zit in de WhatsApp-groep" in page.inner_text("main")
    members = page.locator("h2", has_text="Leden (").inner_text()
    assert members.startswith("Leden (") and members != "Leden (0)"
    check(page, "coordinator-after-added")
    coordinator.close()


def test_sign_in_error_and_password_pages(phone: BrowserContext, server: str) -> None:
    page = phone.new_page()
    page.goto(f"{server}/beheer")
    page.get_by_label("E-mailadres").fill(STAFF["town"][0])
    page.get_by_label("Wachtwoord").fill("not the password")
    click(page, "Inloggen")
    assert page.title().startswith("Fout:")
    check(page, "sign-in-error")
    sign_in(page, server, "town")
    page.goto(f"{server}/beheer/wachtwoord")
    check(page, "password")
    page.goto(f"{server}/beheer/politie")  # the wrong role: the Dutch 403 page
    assert page.get_by_role("heading", level=1).inner_text() == "Geen toegang"
    check(page, "forbidden")
    page.goto(f"{server}/beheer/bestaat-niet")
    assert page.get_by_role("heading", level=1).inner_text() == "Niet gevonden"
    check(page, "not-found")


def propose_new_group(page: Page, server: str) -> None:
    """Sign in on /voorstel as a coordinator and propose a new group of one street in no zone."""
    page.goto(f"{server}/voorstel")
    page.get_by_label("E-mailadres").fill(STAFF["coord-sj"][0])
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.locator(".wabp-zone-name").first.wait_for()
    page.get_by_label("Nieuwe groep", exact=True).check()
    page.get_by_label("Naam van de nieuwe groep").fill("WABP Aardbruggen")
    page.get_by_label("Straten kiezen").check()
    page.get_by_label("Zoek een straat").fill("Aardbrug")
    page.get_by_role("button", name="Aardbruggenstraat, 3570 Alken").click()
    page.get_by_label("Toelichting voor de gemeente (niet verplicht)").fill("Browsertest.")
    page.get_by_role("button", name="Voorstel indienen").click()
    page.get_by_text("Uw voorstel is ingediend").wait_for()


def test_municipality_approves_a_proposal_and_adds_a_police_account(
    browser: Browser, server: str
) -> None:
    import httpx

    coordinator = browser.new_context(viewport=PHONE)
    propose_new_group(coordinator.new_page(), server)
    coordinator.close()
    assert "WABP Aardbruggen" not in httpx.get(f"{server}/").text

    town = browser.new_context(viewport=PHONE)
    page = town.new_page()
    sign_in(page, server, "town")
    assert page.url == f"{server}/beheer/gemeente"
    check(page, "municipality-home")
    page.get_by_role("link", name="Voorstellen", exact=True).first.click()
    check(page, "municipality-proposals")
    page.locator("li.card a", has_text="WABP Aardbruggen").first.click()
    assert "Wat dit voorstel verandert" in page.inner_text("main")
    assert "Browsertest." in page.inner_text("main")
    check(page, "municipality-proposal")
    click(page, "Goedkeuren")
    assert "Het voorstel is goedgekeurd" in page.inner_text("main"), page.inner_text("main")
    check(page, "municipality-proposals-after-approval")
    # The public map is the new generation's: it shows the new group.
    assert "WABP Aardbruggen" in httpx.get(f"{server}/").text
    assert (
        httpx.get(f"{server}/api/lookup", params={"q": "Aardbruggenstraat 10, 3570 Alken"}).json()[
            "zones"
        ][0]["name"]
        == "WABP Aardbruggen"
    )
    generations = httpx.get(f"{server}/api/generations").json()
    assert generations[-1]["source"].startswith("proposal:")

    page.get_by_role("link", name="Geschiedenis").click()
    check(page, "municipality-history")
    page.get_by_role("link", name=f"Wat generatie {generations[-1]['number']} veranderde").click()
    check(page, "municipality-generation")
    page.get_by_role("link", name="Auditlog").click()
    check(page, "municipality-audit")

    page.get_by_role("link", name="Gepubliceerd").click()
    check(page, "municipality-published")
    page.get_by_role("link", name="Accounts").first.click()
    check(page, "municipality-accounts")
    page.get_by_label("E-mailadres").fill("nieuwe.agent@alken.test")
    page.get_by_role("radio", name="politie").check()
    click(page, "Account toevoegen")
    assert page.get_by_role("heading", name="Wachtwoord voor nieuwe.agent@alken.test").is_visible()
    password = page.locator(".once code").inner_text()
    check(page, "municipality-account-added")
    town.close()

    officer = browser.new_context(viewport=PHONE)
    page = officer.new_page()
    page.goto(f"{server}/beheer")
    page.get_by_label("E-mailadres").fill("nieuwe.agent@alken.test")
    page.get_by_label("Wachtwoord").fill(password)
    click(page, "Inloggen")
    assert page.url == f"{server}/beheer/politie"
    officer.close()


def test_municipality_publishes_a_new_version_of_its_rules(
    phone: BrowserContext, server: str
) -> None:
    page = phone.new_page()
    sign_in(page, server, "town")
    page.get_by_role("link", name="Reglement en intentieverklaring").click()
    page.wait_for_load_state("load")
    check(page, "gemeente-regels")
    stale = phone.new_page()  # a second tab, opened at the same version
    stale.goto(page.url)
    box = page.get_by_label("Tekst van huishoudelijk reglement")
    rule = "Wie een pakje voor een buur aanneemt, zegt dat in de groep niet."
    box.fill(box.input_value() + f"\n\n## Pakjes\n\n{rule}\n")
    click(page, "Nieuwe versie: huishoudelijk reglement publiceren")
    notice = page.get_by_text("De tekst is gepubliceerd")
    assert notice.is_visible()
    check(page, "gemeente-regels-gepubliceerd")
    # What the older tab publishes would undo that: it is refused, its typing kept to compare.
    other = stale.get_by_label("Tekst van huishoudelijk reglement")
    other.fill("# Een ander reglement\n")
    click(stale, "Nieuwe versie: huishoudelijk reglement publiceren")
    assert "Intussen is versie" in stale.get_by_role("alert").inner_text()
    assert (
        stale.get_by_label("Tekst van huishoudelijk reglement")
        .input_value()
        .startswith("# Een ander reglement")
    )
    check(stale, "gemeente-regels-intussen")
    stale.close()
    # An empty text is refused where it was typed, and nothing changes.
    page.get_by_label("Tekst van intentieverklaring").fill("   ")
    click(page, "Nieuwe versie: intentieverklaring publiceren")
    assert page.get_by_role("alert").is_visible()
    assert "De tekst is leeg" in page.get_by_role("alert").inner_text()
    check(page, "gemeente-regels-fout")
    # Residents read the new rule on the rules page, in the version they now accept.
    page.get_by_role("link", name="de pagina met de regels").click()
    page.wait_for_load_state("load")
    assert rule in page.inner_text("main")
