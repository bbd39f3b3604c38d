"""Zone generations in the database: the one place that decides which zones are current.

Every process that serves a dataset (several workers, several hosts) reads the same table. An
approval adds the next generation inside the transaction that also records the proposal's decision
and its audit event (`ZoneGenerations.add`); two approvals against the same generation cannot both
commit (the generation number is the primary key). The dataset directory's files
(``generations/NNNN.geojson``, ``generations/index.json``, ``zones.geojson``) are exported from the
table after each commit and at start-up, for tools and people that read files.

Start-up (`ZoneGenerations.reconcile`) repairs what a crash or an older version left:

- an empty table is filled once from the files (today's layout, or the shipped ``data/``);
- a generation that applied a proposal marks that proposal approved (the generation decides);
- the files are rewritten where they differ from the table (the database decides).

Storage: the first generation (and any imported one) holds its whole text; an added one holds only
its `ZoneDelta` against the generation before it, so an approval at Flanders scale writes kilobytes,
not tens of megabytes, and another instance follows it by reading only the changed zones
(`ZoneGenerations.follow_from`). The whole text of any generation is rebuilt from the chain
(`ZoneGenerations.text`); its digest is filled in when it is first exported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from service.tables import AuditEvent, Proposal, ZoneGeneration
from zones.generations import (
    Generation,
    GenerationStore,
    StaleGenerationError,
    UnknownGenerationError,
    ZoneDelta,
    collection_text,
    features_by_id,
)
from zones.schema import ZoneSet
from zones.storage import (
    dump_geojson,
    parse_json,
    zone_from_feature,
    zones_from_geojson,
    zones_to_geojson,
)

log = logging.getLogger("wabp")

# PostgreSQL: an approval notifies this channel when it commits, so other instances follow at once.
CHANNEL = "wabp_generations"
PROPOSAL_SOURCE = "proposal:"
MAX_NUMBER = 2**31 - 1
EMPTY = '{"type": "FeatureCollection", "features": []}\n'


def notify_instances(session: Session, payload: str) -> None:
    """Wake every instance's `Follower` when (and only if) the caller's transaction commits.

    PostgreSQL's NOTIFY; on SQLite (one machine) the followers find the change at their next poll.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
        )


def _sha256(text_: str) -> str:
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _generation(row: ZoneGeneration) -> Generation:
    return Generation(
        number=row.number,
        created_at=row.created_at,
        note=row.note,
        source=row.source,
        file=f"{row.number:04d}.geojson",
    )


def zones_of(text_: str, number: int) -> ZoneSet:
    """Return the zone set of a generation's whole text."""
    source = f"generation {number}"
    return zones_from_geojson(parse_json(text_, source), source)


class ZoneGenerations:
    """The generations of one dataset, in the database, exported to its directory."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        root: Path,
        reader: sessionmaker[Session] | None = None,
    ) -> None:
        """Keep the session factories (writes; reads, see `make_engine`) and the dataset directory."""
        self.sessions = sessions
        self.reader = reader or sessions
        self.files = GenerationStore(root)

    def latest(self) -> int:
        """Return the newest generation number (the cheap query every instance polls)."""
        with self.reader() as session:
            number = session.scalar(select(func.max(ZoneGeneration.number)))
        if number is None:
            raise UnknownGenerationError("the database holds no zone generation yet")
        return int(number)

    def list(self) -> list[Generation]:
        """Return every generation, oldest first."""
        columns = (
            ZoneGeneration.number,
            ZoneGeneration.created_at,
            ZoneGeneration.note,
            ZoneGeneration.source,
        )
        with self.reader() as session:
            rows = session.execute(select(*columns).order_by(ZoneGeneration.number)).all()
        return [
            Generation(number=n, created_at=at, note=note, source=src, file=f"{n:04d}.geojson")
            for n, at, note, src in rows
        ]

    def load(self, number: int) -> ZoneSet:
        """Return the zone set of a generation."""
        return zones_of(self.text(number), number)

    def text(self, number: int) -> str:
        """Return the whole GeoJSON text of a generation, rebuilt from its deltas if need be."""
        if not 1 <= number <= MAX_NUMBER:  # a database integer holds no more
            raise UnknownGenerationError(f"unknown generation: {number}")
        with self.reader() as session:
            whole, features = _state_of(_chain(session, number))
        return whole if features is None else collection_text(list(features.values()))

    def follow_from(self, number: int, zones: ZoneSet, newest: int) -> ZoneSet:
        """Return the zones of `newest` from those of `number` (held in memory), reading little.

        When every generation after `number` is a delta of the one before, only their changed
        zones are read and every other zone stays the very object it was (so the new zone side
        recomputes only what changed); otherwise the whole generation is read.
        """
        with self.reader() as session:
            rows = session.execute(
                select(ZoneGeneration.number, ZoneGeneration.parent, ZoneGeneration.delta)
                .where(ZoneGeneration.number > number, ZoneGeneration.number <= newest)
                .order_by(ZoneGeneration.number)
            ).all()
        expected = list(range(number + 1, newest + 1))
        if [n for n, _, _ in rows] != expected or any(
            parent != n - 1 or delta is None for n, parent, delta in rows
        ):
            return self.load(newest)
        for n, _, delta in rows:
            source = f"generation {n}"
            zones = ZoneDelta.from_json(str(delta), source).apply(zones, source)
        return zones

    def zones_then(self, number: int, newest: int, zones: ZoneSet) -> ZoneSet | None:
        """Return the zones of generation `number` from those of `newest`, reading only deltas.

        Each zone changed since `number` is the version its first delta after `number` replaced;
        the others are the very objects of `zones`; zones added since are left out. None when a
        generation in between is stored whole or without its replaced zones (read it whole).
        """
        with self.reader() as session:
            rows = session.execute(
                select(ZoneGeneration.number, ZoneGeneration.parent, ZoneGeneration.delta)
                .where(ZoneGeneration.number > number, ZoneGeneration.number <= newest)
                .order_by(ZoneGeneration.number)
            ).all()
        if [n for n, _, _ in rows] != list(range(number + 1, newest + 1)):
            return None
        earlier: dict[str, Any] = {}  # the version at `number` of each zone changed since
        added: set[str] = set()  # zones that did not exist at `number`
        for n, parent, delta in rows:
            step = ZoneDelta.from_json(delta, f"generation {n}") if delta else None
            if step is None or parent != n - 1 or step.replaced is None:
                return None
            for zone_id in [*step.features, *step.replaced]:
                if zone_id in earlier or zone_id in added:
                    continue  # decided by an earlier step
                if zone_id in step.replaced:
                    earlier[zone_id] = step.replaced[zone_id]
                else:
                    added.add(zone_id)
        out = []
        source = f"generation {number}"
        for zone in zones:
            if zone.id in earlier:
                out.append(zone_from_feature(earlier.pop(zone.id), f"{source}: {zone.id}"))
            elif zone.id not in added:
                out.append(zone)
        out += [zone_from_feature(f, f"{source}: {i}") for i, f in earlier.items()]
        return ZoneSet(out)

    def add(
        self,
        session: Session,
        zones: ZoneSet,
        *,
        expected: int,
        parent: ZoneSet | None = None,
        note: str = "",
        proposal_id: str | None = None,
        source: str | None = None,
    ) -> Generation:
        """Add the next generation in the caller's transaction; refuse unless `expected` is newest.

        `parent` is the zone set of generation `expected` as the caller holds it: the new
        generation is then stored as its delta (the zones that are not the parent's very objects).
        Without it, the whole text is stored.

        Nothing is committed here: the caller commits it with the decision it belongs to. Two
        transactions that both expected the same generation cannot both commit: the second finds
        a newer one, or (PostgreSQL, at the same moment) fails on the primary key.
        """
        newest = session.scalar(select(func.max(ZoneGeneration.number)))
        if newest != expected:
            raise StaleGenerationError(f"generation {expected} is no longer current ({newest} is)")
        row = ZoneGeneration(
            number=expected + 1,
            note=note,
            source=source or (f"{PROPOSAL_SOURCE}{proposal_id}" if proposal_id else "change"),
            proposal_id=proposal_id,
        )
        if parent is not None:
            row.parent, row.delta = expected, ZoneDelta.between(parent, zones).to_json()
        else:
            row.geojson = dump_geojson(zones_to_geojson(zones))
            row.sha256 = _sha256(row.geojson)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            raise StaleGenerationError(
                f"generation {expected} is no longer current (another change was just approved)"
            ) from None
        notify_instances(session, str(row.number))
        return _generation(row)

    # -- start-up -----------------------------------------------------------------------------------

    def reconcile(self) -> int:
        """Import the files once, make proposals agree with generations, export; return the newest."""
        with self.sessions() as session:
            if session.scalar(select(func.count()).select_from(ZoneGeneration)) == 0:
                self._import_files(session)
            self._approve_applied(session)
            session.commit()
        self._fill_digests()
        self._keep_foreign_edit()
        self.export()
        return self.latest()

    def _fill_digests(self) -> None:
        """Fill in the digest of generations never exported (a crash right after their commit)."""
        with self.reader() as session:
            missing = session.scalars(
                select(ZoneGeneration.number).where(ZoneGeneration.sha256.is_(None))
            ).all()
        for number in missing:
            self._record_digest(number, _sha256(self.text(number)))

    def _record_digest(self, number: int, digest: str) -> None:
        with self.sessions() as session:
            row = session.get(ZoneGeneration, number)
            if row is not None and row.sha256 is None:
                row.sha256 = digest
                session.commit()

    def _keep_foreign_edit(self) -> None:
        """Copy aside a zones.geojson that is no generation at all: edited by hand, not stale."""
        path = self.files.zones_path
        if not path.is_file():
            return
        digest = _file_sha256(path)
        with self.reader() as session:
            known = session.scalar(select(func.count()).where(ZoneGeneration.sha256 == digest))
        if known:
            return  # the newest generation, or an older one a crash left behind: rewritten
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = path.with_name(f"{path.name}.replaced-{stamp}")
        shutil.copy2(path, kept)
        log.warning(
            "%s is no generation in the database: kept as %s and rewritten (propose the change "
            "instead)",
            path,
            kept.name,
        )

    def _import_files(self, session: Session) -> None:
        """Fill the empty table from the dataset directory (index and generation files, or zones.geojson)."""
        applied: set[str] = set()
        for generation in self.files.list():
            path = self.files.path(generation.number)
            # Bytes as they are (no newline translation): the export writes them back unchanged.
            geojson = path.read_bytes().decode("utf-8") if path.is_file() else EMPTY
            proposal_id = generation.source.removeprefix(PROPOSAL_SOURCE)
            if not generation.source.startswith(PROPOSAL_SOURCE) or proposal_id in applied:
                proposal_id = (
                    ""  # a second generation citing one proposal (a torn retry) keeps none
                )
            applied.add(proposal_id)
            session.add(
                ZoneGeneration(
                    number=generation.number,
                    created_at=generation.created_at,
                    note=generation.note,
                    source=generation.source,
                    proposal_id=proposal_id[:32] or None,
                    geojson=geojson,
                    sha256=_sha256(geojson),
                )
            )
        try:
            session.flush()
        except IntegrityError:
            # Another instance starting at the same moment imported them first.
            session.rollback()
            return
        log.info("zone generations imported from %s", self.files.root)

    def _approve_applied(self, session: Session) -> None:
        """Mark approved every proposal a generation applied (files written by an older version)."""
        query = (
            select(ZoneGeneration.number, ZoneGeneration.created_at, Proposal)
            .join(Proposal, Proposal.id == ZoneGeneration.proposal_id)
            .where(Proposal.status != "approved")
        )
        for number, created_at, row in session.execute(query).all():
            row.status, row.decided_at, row.result_generation = "approved", created_at, number
            session.add(
                AuditEvent(
                    actor_id=None,
                    action="proposal.approve",
                    object_type="proposal",
                    object_id=row.id,
                    detail=f"generation {number} (reconciled at start-up)",
                )
            )
            log.warning("proposal %s marked approved: generation %d applied it", row.id, number)

    def export(self, since: int = 0) -> bool:
        """Write the files of the generations after `since` (all by default), the index and zones.geojson."""
        generations = self.list()
        if not generations:
            return False
        newest = generations[-1].number
        if not self.files.index_path.is_file():
            since = 0  # the first change: generation 1 gets its own file too
        with self.reader() as session:
            query = select(ZoneGeneration.number, ZoneGeneration.sha256).where(
                (ZoneGeneration.number > since) | (ZoneGeneration.number == newest)
            )
            digests: dict[int, str | None] = dict(session.execute(query).all())
        # A file that already holds its generation's text (same digest) is not rebuilt: at
        # Flanders scale a whole text takes a second to write out.
        single = len(generations) == 1 and not self.files.index_path.is_file()
        stale = [
            n
            for n, digest in sorted(digests.items())
            if not self._exported(n, digest, newest, single)
        ]
        texts = self._texts(stale)
        for number in stale:
            if digests[number] is None:
                self._record_digest(number, _sha256(texts[number]))
        return self.files.export(generations, texts)

    def _exported(self, number: int, digest: str | None, newest: int, single: bool) -> bool:
        """Tell whether the files of a generation hold its text already."""
        if digest is None:
            return False
        paths = [self.files.zones_path] if number == newest else []
        if not single:
            paths.append(self.files.dir / f"{number:04d}.geojson")
        return all(p.is_file() and _file_sha256(p) == digest for p in paths)

    def _texts(self, numbers: Sequence[int]) -> dict[int, str]:
        """Return the whole texts of `numbers` (ascending), each delta applied once along the way."""
        if not numbers:
            return {}
        wanted = set(numbers)
        texts: dict[int, str] = {}
        with self.reader() as session:
            whole, features = _state_of(_chain(session, numbers[0]))
            at = numbers[0]
            texts[at] = whole if features is None else collection_text(list(features.values()))
            c = ZoneGeneration
            rows = session.execute(
                select(c.number, c.parent, c.delta, c.geojson)
                .where(c.number > numbers[0], c.number <= numbers[-1])
                .order_by(c.number)
            ).all()
            for n, parent, delta, geojson in rows:
                source = f"generation {n}"
                if geojson is not None:
                    whole, features = geojson, None
                elif delta is not None and parent == at:
                    if features is None:
                        features = features_by_id(whole, f"generation {at}")[1]
                    features = ZoneDelta.from_json(delta, source).apply_features(features, source)
                else:
                    whole, features = _state_of(_chain(session, n))
                at = n
                if n in wanted:
                    texts[n] = (
                        whole if features is None else collection_text(list(features.values()))
                    )
        return texts


def _chain(session: Session, number: int) -> list[tuple[int, str]]:
    """Return the rows from the nearest whole text up to `number`: (number, text or delta)."""
    chain: list[tuple[int, str]] = []
    current: int | None = number
    while current is not None:
        found = session.execute(
            select(ZoneGeneration.geojson, ZoneGeneration.parent, ZoneGeneration.delta).where(
                ZoneGeneration.number == current
            )
        ).first()
        if found is None:
            raise UnknownGenerationError(f"unknown generation: {current}")
        geojson, parent, delta = found
        if geojson is not None or delta is None or parent is None:
            chain.append((current, geojson if geojson is not None else EMPTY))
            break
        chain.append((current, delta))
        current = parent
    return chain[::-1]


def _state_of(chain: list[tuple[int, str]]) -> tuple[str, dict[str, Any] | None]:
    """Return the last generation of a chain as its whole text, or (after deltas) its features."""
    base, whole = chain[0]
    if len(chain) == 1:
        return whole, None
    features: dict[str, Any] = features_by_id(whole, f"generation {base}")[1]
    for number, delta in chain[1:]:
        source = f"generation {number}"
        features = ZoneDelta.from_json(delta, source).apply_features(features, source)
    return whole, features
