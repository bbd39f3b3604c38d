"""What the municipality publishes beside the zones, in the database, so that every instance serves it.

Three kinds, edited on ``/beheer/gemeente/publicatie`` and ``/beheer/gemeente/regels``
(``service.publication``):

- ``contact``: the municipality's contact for residents. Stored as the fields it sets in
  ``dataset.json`` (``contact``, ``contact_url``, and each listed municipality's own two in a
  dataset of several), so that everything else in that file stays the operator's to edit;
- ``infoborden``: the whole ``infoborden.geojson``;
- ``regels``: the texts residents accept (`zones.rules`): the group rules (the dataset's, or in a
  dataset of several each municipality's own, its file and version named in ``dataset.json``),
  the statement of intent, and the versions ``reglement.json`` gives the dataset's two.

As with zone generations, the database decides and the files are the export: an edit locks its
row, changes the text the database holds (never a local file another host cannot see), raises its
version and commits; every instance (`service.state.ServiceState.follow`, polled and, on
PostgreSQL, woken by NOTIFY) writes a newer text to its own dataset directory and serves it. Until
staff first publish a kind, its row holds no text and the dataset's own file stands.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from geo.files import atomic_write_text
from service.generations import notify_instances
from service.tables import PublishedText, utcnow
from zones.dataset import DatasetMeta, DatasetPaths
from zones.errors import DatasetError
from zones.rules import own_rules_file, read_spec, write_spec
from zones.storage import dump_geojson

log = logging.getLogger("wabp")

CONTACT = "contact"
INFOBORDEN = "infoborden"
RULES = "regels"
KINDS = (CONTACT, INFOBORDEN, RULES)
# The fields of dataset.json that the contact kind owns.
CONTACT_FIELDS = ("contact", "contact_url")

Versions = dict[str, int]


class PublishedTexts:
    """The published texts of one dataset, in the database, written out to its directory."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        root: Path,
        reader: sessionmaker[Session] | None = None,
    ) -> None:
        """Keep the session factories (writes; reads) and the dataset directory."""
        self.sessions = sessions
        self.reader = reader or sessions
        self.paths = DatasetPaths(root)

    def versions(self) -> Versions:
        """Return each kind's version (the cheap query every instance polls)."""
        with self.reader() as session:
            rows = session.execute(select(PublishedText.kind, PublishedText.version)).all()
        return {str(kind): int(version) for kind, version in rows}

    def for_update(self, session: Session, kind: str) -> Any:
        """Return the parsed text of `kind` (None: never published) and lock it to the transaction.

        Two edits at once, on any instance, take turns here (``FOR UPDATE`` on PostgreSQL, the
        write transaction on SQLite): the second reads what the first committed, so none is lost.
        """
        row = session.scalars(
            select(PublishedText).where(PublishedText.kind == kind).with_for_update()
        ).one()
        return None if row.content is None else json.loads(row.content)

    def save(self, session: Session, kind: str, content: Any) -> None:
        """Store `content` as the next version of `kind` in the caller's transaction (not committed)."""
        row = session.get_one(PublishedText, kind)
        row.content = json.dumps(content, ensure_ascii=False, sort_keys=True)
        row.version += 1
        row.updated_at = utcnow()
        notify_instances(session, kind)

    def write_files(self, known: Versions) -> Versions:
        """Write each kind newer than `known` to the dataset directory; return the versions now.

        With nothing `known` (start-up), an ``infoborden.geojson`` that differs from what the
        database holds was edited by hand: it is kept aside before it is rewritten.
        """
        with self.reader() as session:
            rows = session.execute(
                select(PublishedText.kind, PublishedText.version, PublishedText.content)
            ).all()
        for kind, version, content in rows:
            if content is None or version <= known.get(kind, 0):
                continue
            if kind == CONTACT:
                self._write_contact(json.loads(content))
            elif kind == INFOBORDEN:
                self._write_infoborden(json.loads(content), keep_edit=not known)
            elif kind == RULES:
                self._write_rules(json.loads(content), keep_edit=not known)
        return {kind: version for kind, version, _ in rows}

    def _write_contact(self, fields: dict[str, Any]) -> None:
        path = self.paths.meta
        meta = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        for name in CONTACT_FIELDS:
            if name in fields:
                meta[name] = fields[name]
        own = fields.get("municipalities") or {}
        for entry in meta.get("municipalities") or []:
            if entry.get("name") in own:
                value = own[entry["name"]]
                if isinstance(value, dict):
                    entry["contact"], entry["contact_url"] = value["contact"], value["contact_url"]
                else:  # stored before a municipality's e-loket had its own field
                    entry["contact"] = value
        try:
            DatasetMeta.model_validate(meta)
        except ValidationError as exc:
            # Written, this file would stop every instance from loading the dataset (at its next
            # start): the last good file stays. Logged by kind and place only, not by value.
            places = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
            log.error("the published contact does not fit %s (%s): not written", path, places)
            return
        atomic_write_text(path, json.dumps(meta, ensure_ascii=False, indent=1) + "\n")

    def _write_infoborden(self, collection: dict[str, Any], *, keep_edit: bool) -> None:
        _replace(
            self.paths.infoborden,
            dump_geojson(collection),
            keep_edit,
            "/beheer/gemeente/publicatie",
        )

    def _write_rules(self, content: dict[str, Any], *, keep_edit: bool) -> None:
        root = self.paths.root
        try:
            spec = read_spec(root)
        except DatasetError as exc:  # the dataset lost its reglement.json: its rules stay off
            log.error("the published rules are not written: %s", type(exc).__name__)
            return
        texts = [
            (spec.rules.file, content.get("rules")),
            (spec.statement.file, content.get("statement")),
        ]
        own = own_rules(content)
        if own:
            meta = json.loads(self.paths.meta.read_text(encoding="utf-8"))
            for entry in meta.get("municipalities") or []:
                if entry.get("name") in own:
                    own_text, version = own[entry["name"]]
                    entry["rules"] = entry.get("rules") or own_rules_file(entry["name"])
                    if version:  # else stored before each had its version: the dataset's
                        entry["rules_version"] = version
                    texts.append((entry["rules"], own_text))
            atomic_write_text(
                self.paths.meta, json.dumps(meta, ensure_ascii=False, indent=1) + "\n"
            )
        # The texts first, their versions last: a reader in between sees a new text under its old
        # version, which the SHA-256 every consent stores tells apart. A version is written only
        # with its text: one the database holds no text for stays the operator's to raise.
        for file, text in texts:
            if text is not None:
                _replace(root / file, text, keep_edit, "/beheer/gemeente/regels")
        if content.get("rules") is not None:
            spec.rules.version = content.get("rules_version") or spec.rules.version
        if content.get("statement") is not None:
            spec.statement.version = content.get("statement_version") or spec.statement.version
        if spec != read_spec(root):
            write_spec(root, spec)


def own_rules(content: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Return each municipality's own rules text and version from the stored ``regels`` content.

    Stored as ``{"text", "version"}`` per municipality; a bare text (stored before each
    municipality had its own version) has none.
    """
    out: dict[str, tuple[str, str | None]] = {}
    for name, value in (content.get("municipalities") or {}).items():
        if isinstance(value, dict):
            out[name] = (value["text"], value.get("version"))
        else:
            out[name] = (value, None)
    return out


def _replace(path: Path, wanted: str, keep_edit: bool, page: str) -> None:
    """Write `wanted` to `path`; at start-up (`keep_edit`) a hand-edited file is kept aside first."""
    if path.is_file():
        now = path.read_text(encoding="utf-8")
        if now == wanted:
            return
        if keep_edit:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            kept = path.with_name(f"{path.name}.replaced-{stamp}")
            shutil.copy2(path, kept)
            log.warning(
                "%s is not what the municipality last published: kept as %s and rewritten "
                "(edit it on %s)",
                path,
                kept.name,
                page,
            )
    atomic_write_text(path, wanted)
