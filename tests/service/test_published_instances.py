"""What the municipality publishes reaches every instance, and two edits at once both stand.

Two served apps on one database, each with its own copy of the dataset directory (two hosts):
staff publish on one, residents ask the other. Infoborden added at the same moment through both
are all kept: an edit reads what the database holds under a lock, never its own local file.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

import service.state
from service.app import create_app
from tests.service.apps import app_settings, copy_dataset
from tests.service.served import served
from tests.service.staff import CSRF, PASSWORD, STAFF, add_staff
from zones.dataset import DatasetMeta, DatasetPaths, read_meta

PUBLISHED = "/beheer/gemeente/publicatie"
NO_ZONE = "Aardbruggenstraat 12, 3570 Alken"  # in no zone: residents are sent to the municipality


def signed_in(base_url: str) -> httpx.Client:
    """Return a client signed in on /beheer as the municipality of Alken."""
    client = httpx.Client(base_url=base_url, timeout=60, headers={"Referer": f"{base_url}/beheer"})
    token = token_of(client, "/beheer")
    answer = client.post(
        "/beheer/inloggen",
        data={"email": STAFF["town"][0], "password": PASSWORD, "csrf_token": token},
    )
    assert answer.status_code in (200, 303), answer.text
    return client


def token_of(client: httpx.Client, page: str) -> str:
    found = CSRF.search(client.get(page).text)
    assert found, f"no form on {page}"
    return found.group(1)


def post(client: httpx.Client, action: str, data: dict[str, str]) -> httpx.Response:
    """Post a form of the publication page with a fresh token (each token is good for one post)."""
    return client.post(action, data={**data, "csrf_token": token_of(client, PUBLISHED)})


def next_steps(base_url: str) -> str:
    answer = httpx.get(f"{base_url}/api/lookup", params={"q": NO_ZONE}, timeout=30)
    assert answer.status_code == 200, answer.text
    return " ".join(f"{s['text']} {s['href']}" for s in answer.json()["next_steps"])


def board_labels(base_url: str) -> set[str]:
    answer = httpx.get(f"{base_url}/infoborden.geojson", timeout=30)
    assert answer.status_code == 200
    return {f["properties"]["label"] for f in answer.json()["features"]}


@contextmanager
def two_instances(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Serve two apps on one database, each on its own copy of the dataset (two hosts)."""
    add_staff(database_url)
    one = app_settings(copy_dataset(tmp_path / "one"), database_url, generation_poll_seconds=0.2)
    two = app_settings(copy_dataset(tmp_path / "two"), database_url, generation_poll_seconds=0.2)
    with served(create_app(one)) as first, served(create_app(two)) as second:
        yield first, second


def eventually(check: object, seconds: float = 2.0) -> float:
    """Wait until `check()` is true; return how long it took (fails after `seconds`)."""
    start = time.monotonic()
    while not check():  # type: ignore[operator]
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - start


def test_a_contact_and_boards_published_on_one_instance_are_served_by_the_other(
    database_url: str, tmp_path: Path
) -> None:
    with two_instances(database_url, tmp_path) as (first, second):
        staff = signed_in(first)
        done = post(
            staff,
            f"{PUBLISHED}/contact",
            {"phone": "011 59 00 00", "email": "preventie@alken.example.be", "url": ""},
        )
        assert done.status_code in (200, 303), done.text
        assert "tel. 011 59 00 00" in next_steps(first)  # at once where it was published
        eventually(lambda: "tel. 011 59 00 00" in next_steps(second))
        # ... and in the second host's own dataset.json, which `wabp publish` reads.
        meta = json.loads((tmp_path / "two" / "dataset.json").read_text(encoding="utf-8"))
        assert meta["contact"] == "tel. 011 59 00 00, e-mail preventie@alken.example.be"

        # Eight boards added at the same moment, half through each instance: all eight stand.
        clients = [signed_in(first if i % 2 else second) for i in range(8)]
        answers: list[int] = []
        start = threading.Barrier(8)

        def add(i: int) -> None:
            token = token_of(clients[i], PUBLISHED)
            start.wait()
            answer = clients[i].post(
                f"{PUBLISHED}/infoborden",
                data={
                    "name": f"Bord {i}",
                    "zone": "heiligenborn",
                    "latitude": "50,8751",
                    "longitude": f"5,30{i}",
                    "csrf_token": token,
                },
            )
            answers.append(answer.status_code)

        threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(answers) == [303] * 8, answers
        added = {f"Bord {i}" for i in range(8)}
        for base_url in (first, second):
            eventually(lambda base_url=base_url: added <= board_labels(base_url))
        for host in ("one", "two"):
            on_disk = json.loads((tmp_path / host / "infoborden.geojson").read_text())
            assert added <= {f["properties"]["label"] for f in on_disk["features"]}
        for client in [staff, *clients]:
            client.close()


def test_a_restart_serves_what_the_database_published_over_stale_or_hand_edited_files(
    tmp_path: Path,
) -> None:
    # A crash between the commit and the file write leaves dataset.json behind the database; a
    # hand edit of infoborden.geojson differs from what was published. At start-up the database
    # wins; the hand-edited file is kept aside, not lost.
    database_url = f"sqlite:///{tmp_path / 'wabp.sqlite'}"
    add_staff(database_url)
    data = copy_dataset(tmp_path / "data")
    settings = app_settings(data, database_url)
    with served(create_app(settings)) as url:
        staff = signed_in(url)
        done = post(
            staff, f"{PUBLISHED}/contact", {"phone": "011 59 00 00", "email": "", "url": ""}
        )
        assert done.status_code == 303, done.text
        added = post(
            staff,
            f"{PUBLISHED}/infoborden",
            {
                "name": "Bord Dorp",
                "zone": "heiligenborn",
                "latitude": "50,8751",
                "longitude": "5,305",
            },
        )
        assert added.status_code == 303, added.text
        staff.close()
    meta = json.loads((data / "dataset.json").read_text(encoding="utf-8"))
    meta["contact"] = None  # as before the publication: the write never happened
    (data / "dataset.json").write_text(json.dumps(meta), encoding="utf-8")
    hand_edit = '{"type": "FeatureCollection", "features": []}\n'
    (data / "infoborden.geojson").write_text(hand_edit, encoding="utf-8")

    with served(create_app(settings)) as url:
        assert "tel. 011 59 00 00" in next_steps(url)
        assert "Bord Dorp" in board_labels(url)
    kept = list(data.glob("infoborden.geojson.replaced-*"))
    assert [p.read_text(encoding="utf-8") for p in kept] == [hand_edit]


def test_a_contact_that_fails_to_load_once_on_the_other_instance_is_served_at_the_next_try(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the files are written (a read error, say) is retried, not taken for served."""
    failed: list[str] = []

    def read_meta_failing_once(paths: DatasetPaths) -> DatasetMeta:
        if threading.current_thread().name == "wabp-follower" and not failed:
            failed.append("once")
            raise OSError("a read that fails once")
        return read_meta(paths)

    monkeypatch.setattr(service.state, "read_meta", read_meta_failing_once)
    with two_instances(database_url, tmp_path) as (first, second):
        staff = signed_in(first)
        done = post(
            staff, f"{PUBLISHED}/contact", {"phone": "011 59 00 01", "email": "", "url": ""}
        )
        assert done.status_code in (200, 303), done.text
        eventually(lambda: "tel. 011 59 00 01" in next_steps(second), seconds=5)
        assert failed == ["once"]
        staff.close()


def test_rules_published_on_one_instance_are_what_the_other_shows_and_applicants_accept(
    database_url: str, tmp_path: Path
) -> None:
    rule = "Wie een pakje voor een buur aanneemt, zegt dat in de groep niet."
    with two_instances(database_url, tmp_path) as (first, second):
        staff = signed_in(first)
        page = staff.get("/beheer/gemeente/regels").text
        start = page.index('id="text-regels"')
        text = page[page.index(">", start) + 1 : page.index("</textarea>", start)]
        seen = re.search(r'name="version" value="([^"]+)"', page)
        assert seen, "the rules form names the version it was opened at"
        token = token_of(staff, "/beheer/gemeente/regels")
        done = staff.post(
            "/beheer/gemeente/regels/regels",
            data={
                "text": f"{text}\n## Pakjes\n\n{rule}\n",
                "csrf_token": token,
                "version": seen[1],
            },
        )
        assert done.status_code in (200, 303), done.text
        version = json.loads((tmp_path / "one" / "reglement.json").read_text())["rules"]["version"]
        eventually(lambda: rule in httpx.get(f"{second}/regels", timeout=30).text)
        assert f"versie {version}" in httpx.get(f"{second}/regels", timeout=30).text
        assert version in httpx.get(f"{second}/aanmelden", timeout=30).text
        on_disk = json.loads((tmp_path / "two" / "reglement.json").read_text())
        assert on_disk["rules"]["version"] == version
        staff.close()


def test_rules_edited_at_once_on_two_instances_one_is_published_the_others_told(
    database_url: str, tmp_path: Path
) -> None:
    """Four staff open the rules at one version and publish at the same moment, on two hosts."""
    rules = "/beheer/gemeente/regels"
    with two_instances(database_url, tmp_path) as (first, second):
        clients = [signed_in(first if i % 2 else second) for i in range(4)]
        pages = [c.get(rules).text for c in clients]
        opened = {re.findall(r'name="version" value="([^"]+)"', p)[0] for p in pages}
        assert len(opened) == 1  # all at the same version
        answers: dict[int, httpx.Response] = {}
        start = threading.Barrier(4)

        def publish(i: int) -> None:
            data = {
                "text": f"# Reglement\n\nRegel van collega {i}.\n",
                "version": next(iter(opened)),
                "csrf_token": token_of(clients[i], rules),
            }
            start.wait()
            answers[i] = clients[i].post(f"{rules}/regels", data=data)

        threads = [threading.Thread(target=publish, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(a.status_code for a in answers.values())
        assert codes == [303, 422, 422, 422], codes
        [winner] = [i for i, a in answers.items() if a.status_code == 303]
        for i, answer in answers.items():
            if i != winner:  # told, with their own text still in the box
                assert "Intussen is versie" in answer.text
                assert f"Regel van collega {i}." in answer.text
        # Both hosts serve the one text that was published, under the one next version.
        for base, root in ((first, tmp_path / "one"), (second, tmp_path / "two")):
            eventually(
                lambda base=base: (
                    f"Regel van collega {winner}." in httpx.get(f"{base}/regels", timeout=30).text
                )
            )
            spec = json.loads((root / "reglement.json").read_text(encoding="utf-8"))
            assert spec["rules"]["version"] != next(iter(opened))
        for client in clients:
            client.close()
