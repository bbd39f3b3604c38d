"""The municipality publishes its rules in the browser's form: a new version that every page shows,
that the next applicant accepts, and that reaches every instance (``/beheer/gemeente/regels``).

On the Alken data (one municipality: the dataset's texts) and on the police zone of the fixtures
(several: each municipality its own rules, the statement of intent one for all).
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from service.db import make_engine, make_sessionmaker
from service.tables import AuditEvent, Consent, utcnow
from tests.service.apps import application
from tests.service.staff import csrf_token, post_form, sign_in, staff_app
from tests.service.test_published_scope import ALKEN, HEERS, pz_app, root_of, sign_in_as
from zones.rules import next_version, read_spec, write_spec

RULES = "/beheer/gemeente/regels"
NEW_RULE = "Wie een pakje voor een buur aanneemt, zegt dat in de groep niet."


def _publish(client: TestClient, which: str, text: str, *, edited: str | None = None) -> str:
    """Post a text on the rules page as the signed-in municipality; return the page shown after.

    As a browser does, with the version the form was opened at (`edited`: an older page's).
    """
    page = client.get(RULES).text
    data = {
        "text": text,
        "version": _version(page, which) if edited is None else edited,
        "csrf_token": csrf_token(page),
    }
    answer = client.post(f"{RULES}/{which}", data=data, follow_redirects=False)
    if answer.status_code == 303:
        return client.get(answer.headers["location"]).text
    return answer.text


def _version(page: str, which: str) -> str:
    """Return the version the form of `which` on the rules page was opened at."""
    form = page[page.index(f'action="{RULES}/{which}"') :]
    return form[form.index('name="version" value="') :].split('"')[3]


def _textarea(page: str, which: str) -> str:
    start = page.index(f'id="text-{which}"')
    return page[page.index(">", start) + 1 : page.index("</textarea>", start)]


def test_a_new_rules_version_is_what_every_page_shows_and_the_next_applicant_accepts(
    tmp_path: Path,
) -> None:
    with staff_app(tmp_path) as client:
        root = root_of(client)
        before = read_spec(root).rules.version
        sign_in(client, "town")
        page = client.get(RULES).text
        assert f"(versie {before})" in page
        old_text = _textarea(page, "regels")
        assert "101" in old_text  # the text itself is in the box, to edit
        new_text = old_text.rstrip() + f"\n\n## Pakjes\n\n{NEW_RULE}\n"

        after = _publish(client, "regels", new_text)
        assert "De tekst is gepubliceerd" in after
        version = read_spec(root).rules.version
        assert version != before and f"(versie {version})" in after
        assert NEW_RULE in (root / read_spec(root).rules.file).read_text(encoding="utf-8")
        # The public rules page and the form show the new words under the new version.
        public = client.get("/regels").text
        assert NEW_RULE in public and version in public
        assert version in client.get("/aanmelden").text

        client.cookies.clear()
        applied = client.post("/api/registrations", json=application())
        assert applied.status_code == 201, applied.text
        engine = make_engine(client.app.state.settings.database_url)  # type: ignore[attr-defined]
        with make_sessionmaker(engine)() as session:
            consent = session.scalars(select(Consent).where(Consent.purpose == "rules")).one()
            audit = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "publication.regels")
            ).one()
        engine.dispose()
        assert consent.version == version
        assert audit.object_id == "regels"  # names the text, never quotes it
        assert audit.detail == f"versie {version}"
        sign_in(client, "town")
        log = client.get("/beheer/gemeente/audit").text  # in words, with the version
        assert '<h2 class="card__title">reglement gepubliceerd</h2>' in log
        assert f"regels, versie {version}</dd>" in log


def test_the_statement_of_intent_gets_its_own_new_version(tmp_path: Path) -> None:
    with staff_app(tmp_path) as client:
        root = root_of(client)
        rules_before, statement_before = read_spec(root).rules, read_spec(root).statement
        sign_in(client, "town")
        text = (
            _textarea(client.get(RULES).text, "intentieverklaring")
            + "\nIk zwijg over wat ik lees.\n"
        )
        _publish(client, "intentieverklaring", text)
        spec = read_spec(root)
        assert spec.statement.version != statement_before.version
        assert spec.rules.version == rules_before.version
        assert "Ik zwijg over wat ik lees." in client.get("/regels").text


def test_an_empty_too_long_or_unchanged_text_changes_nothing(tmp_path: Path) -> None:
    with staff_app(tmp_path) as client:
        root = root_of(client)
        rules_file = root / read_spec(root).rules.file
        before = (read_spec(root), rules_file.read_text(encoding="utf-8"))
        sign_in(client, "town")
        empty = post_form(client, RULES, f"{RULES}/regels", {"text": "  \r\n "})
        assert empty.status_code == 422
        assert "De tekst is leeg" in empty.text and 'aria-invalid="true"' in empty.text
        too_long = "## Te lang\n\n" + "woord " * 6000
        answer = post_form(client, RULES, f"{RULES}/regels", {"text": too_long})
        assert answer.status_code == 422 and "Hoogstens 30000 tekens" in answer.text
        # What was typed comes back in the box: nothing the municipality wrote is lost.
        assert _textarea(answer.text, "regels").strip() == too_long.strip()
        same = _publish(client, "regels", before[1].replace("\n", "\r\n"))
        assert "er is niets gewijzigd" in same and "De tekst is gepubliceerd" not in same
        assert (read_spec(root), rules_file.read_text(encoding="utf-8")) == before
        assert post_form(client, RULES, f"{RULES}/andere", {"text": "x"}).status_code == 404


def test_only_the_municipality_edits_its_rules(tmp_path: Path) -> None:
    with staff_app(tmp_path) as client:
        spec = read_spec(root_of(client))
        for who in ("police", "coord"):
            sign_in(client, who)
            assert client.get(RULES).status_code == 403
        # A municipality this dataset does not hold publishes nothing in Alken's name.
        sign_in(client, "town-elders")
        answer = post_form(client, RULES, f"{RULES}/regels", {"text": "# Andere regels\n"})
        assert answer.status_code == 403
        assert read_spec(root_of(client)) == spec
        assert "Andere regels" not in client.get("/regels").text
        client.cookies.clear()
        assert client.get(RULES, follow_redirects=False).status_code == 303  # to sign in


def test_in_a_police_zone_each_municipality_publishes_its_own_rules(tmp_path: Path) -> None:
    with pz_app(tmp_path) as client:
        root = root_of(client)
        sign_in_as(client, HEERS)
        page = client.get(RULES).text
        assert 'href="/heers/regels"' in page
        assert 'id="text-intentieverklaring"' not in page  # one for all: not Heers' to edit
        refused = post_form(client, RULES, f"{RULES}/intentieverklaring", {"text": "Anders."})
        assert refused.status_code == 422 and "alle gemeenten" in refused.text

        _publish(client, "regels", f"# Reglement van Heers\n\n{NEW_RULE}\n")
        meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
        heers = next(m for m in meta["municipalities"] if m["name"] == "Heers")
        assert heers["rules"] == "reglement.heers.md"
        assert NEW_RULE in client.get("/heers/regels").text
        assert NEW_RULE not in client.get("/alken/regels").text

        # Alken's own edit leaves Heers' text as it is.
        sign_in_as(client, ALKEN)
        _publish(client, "regels", "# Reglement van Alken\n\nBel eerst 101.\n")
        assert "Reglement van Alken" in client.get("/alken/regels").text
        heers_page = client.get("/heers/regels").text
        assert NEW_RULE in heers_page and "Reglement van Alken" not in heers_page


def test_after_a_restart_the_published_text_wins_over_a_hand_edited_file(tmp_path: Path) -> None:
    with staff_app(tmp_path) as client:
        root = root_of(client)
        settings = client.app.state.settings  # type: ignore[attr-defined]
        sign_in(client, "town")
        text = _textarea(client.get(RULES).text, "regels") + f"\n{NEW_RULE}\n"
        _publish(client, "regels", text)
        published = (read_spec(root), (root / read_spec(root).rules.file).read_text("utf-8"))
    rules_file = root / published[0].rules.file
    rules_file.write_text("# Met de hand gewijzigd\n", encoding="utf-8")
    with TestClient(create_app(settings)) as client:
        assert NEW_RULE in client.get("/regels").text
    assert (read_spec(root), rules_file.read_text("utf-8")) == published
    [kept] = root.glob(f"{rules_file.name}.replaced-*")
    assert kept.read_text("utf-8") == "# Met de hand gewijzigd\n"


def test_two_editors_of_one_version_the_second_is_refused_and_keeps_the_typing(
    tmp_path: Path,
) -> None:
    with staff_app(tmp_path) as client:
        root = root_of(client)
        sign_in(client, "town")
        opened = client.get(RULES).text  # both colleagues open the page at this version
        base, text = _version(opened, "regels"), _textarea(opened, "regels")
        first = _publish(client, "regels", f"{text}\nREGEL VAN A\n", edited=base)
        assert "De tekst is gepubliceerd" in first
        published = read_spec(root).rules.version

        second = _publish(client, "regels", f"{text}\nREGEL VAN B\n", edited=base)
        assert f"Intussen is versie {published} gepubliceerd" in second
        # Nothing of A's is overwritten, and B's typing is still in the box to compare.
        assert read_spec(root).rules.version == published
        on_disk = (root / read_spec(root).rules.file).read_text("utf-8")
        assert "REGEL VAN A" in on_disk and "REGEL VAN B" not in on_disk
        assert "REGEL VAN B" in _textarea(second, "regels")
        # Sent again from that page (now at A's version), B's text replaces A's on purpose.
        again = _publish(
            client, "regels", _textarea(second, "regels"), edited=_version(second, "regels")
        )
        assert "De tekst is gepubliceerd" in again
        assert "REGEL VAN B" in (root / read_spec(root).rules.file).read_text("utf-8")


def test_in_a_police_zone_each_municipality_has_its_own_rules_version(tmp_path: Path) -> None:
    with pz_app(tmp_path) as client:
        root = root_of(client)
        sign_in_as(client, ALKEN)
        alken = _version(client.get(RULES).text, "regels")
        sign_in_as(client, HEERS)
        heers_before = _version(client.get(RULES).text, "regels")
        _publish(client, "regels", f"# Reglement van Heers\n\n{NEW_RULE}\n")
        heers = next_version(heers_before, utcnow().year)
        meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
        versions = {m["name"]: m.get("rules_version") for m in meta["municipalities"]}
        assert versions["Heers"] == heers and versions["Alken"] is None
        # Alken's residents accept the text they accepted before, under the same version.
        assert f"versie {heers}" in client.get("/heers/regels").text
        assert f"versie {alken}" in client.get("/alken/regels").text
        assert read_spec(root).rules.version == alken
        sign_in_as(client, ALKEN)
        assert _version(client.get(RULES).text, "regels") == alken


def test_an_operators_new_version_of_the_shared_rules_stands_after_a_restart(
    tmp_path: Path,
) -> None:
    """Heers published its own rules; the dataset's rules stay the operator's, version and all."""
    with pz_app(tmp_path) as client:
        root = root_of(client)
        settings = client.app.state.settings  # type: ignore[attr-defined]
        sign_in_as(client, HEERS)
        _publish(client, "regels", f"# Reglement van Heers\n\n{NEW_RULE}\n")
    spec = read_spec(root)
    (root / spec.rules.file).write_text("# Nieuw reglement van de dienst\n", encoding="utf-8")
    spec.rules.version = "2026-9"
    write_spec(root, spec)
    with TestClient(create_app(settings)) as client:
        page = client.get("/alken/regels").text
        assert "Nieuw reglement van de dienst" in page and "versie 2026-9" in page
        assert NEW_RULE in client.get("/heers/regels").text
    assert read_spec(root).rules.version == "2026-9"
    assert not list(root.glob("*.replaced-*"))  # nothing of the operator's was set aside


def test_a_municipality_sharing_the_dataset_rules_does_not_edit_them_alone(
    tmp_path: Path,
) -> None:
    with pz_app(tmp_path, listed=False) as client:
        root = root_of(client)
        before = read_spec(root)
        sign_in_as(client, HEERS)
        page = client.get(RULES).text
        assert 'id="text-regels"' not in page and "haar eigen reglement" in page
        refused = post_form(
            client, RULES, f"{RULES}/regels", {"text": "# Andere regels\n", "version": "x"}
        )
        assert refused.status_code == 422 and "haar eigen reglement" in refused.text
        assert read_spec(root) == before
