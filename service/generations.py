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
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from service.tables import AuditEvent, Proposal, ZoneGeneration
from zones.generations import (
    Generation,
    GenerationStore,
    StaleGenerationError,
    UnknownGenerationError,
)
from zones.schema import ZoneSet
from zones.storage import dump_geojson, parse_json, zones_from_geojson, zones_to_geojson

log = logging.getLogger("wabp")

# PostgreSQL: an approval notifies this channel when it commits, so other instances follow at once.
CHANNEL = "wabp_generations"
PROPOSAL_SOURCE = "proposal:"
MAX_NUMBER = 2**31 - 1
EMPTY = '{"type": "FeatureCollection", "features": []}\n'


def _sha256(text_: str) -> str:
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


def _generation(row: ZoneGeneration) -> Generation:
    return Generation(
        number=row.number,
        created_at=row.created_at,
        note=row.note,
        source=row.source,
        file=f"{row.number:04d}.geojson",
    )


def zones_of(row: ZoneGeneration) -> ZoneSet:
    """Return the zone set a generation row holds."""
    source = f"generation {row.number}"
    return zones_from_geojson(parse_json(row.geojson, source), source)


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
        if not 1 <= number <= MAX_NUMBER:  # a database integer holds no more
            raise UnknownGenerationError(f"unknown generation: {number}")
        with self.reader() as session:
            row = session.get(ZoneGeneration, number)
            if row is None:
                raise UnknownGenerationError(f"unknown generation: {number}")
            return zones_of(row)

    def add(
        self,
        session: Session,
        zones: ZoneSet,
        *,
        expected: int,
        note: str = "",
        proposal_id: str | None = None,
        source: str | None = None,
    ) -> Generation:
        """Add the next generation in the caller's transaction; refuse unless `expected` is newest.

        Nothing is committed here: the caller commits it with the decision it belongs to. Two
        transactions that both expected the same generation cannot both commit: the second finds
        a newer one, or (PostgreSQL, at the same moment) fails on the primary key.
        """
        newest = session.scalar(select(func.max(ZoneGeneration.number)))
        if newest != expected:
            raise StaleGenerationError(f"generation {expected} is no longer current ({newest} is)")
        geojson = dump_geojson(zones_to_geojson(zones))
        row = ZoneGeneration(
            number=expected + 1,
            note=note,
            source=source or (f"{PROPOSAL_SOURCE}{proposal_id}" if proposal_id else "change"),
            proposal_id=proposal_id,
            geojson=geojson,
            sha256=_sha256(geojson),
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            raise StaleGenerationError(
                f"generation {expected} is no longer current (another change was just approved)"
            ) from None
        if session.get_bind().dialect.name == "postgresql":
            # Delivered when (and only if) the transaction commits.
            notify = text("SELECT pg_notify(:channel, :n)")
            session.execute(notify, {"channel": CHANNEL, "n": str(row.number)})
        return _generation(row)

    # -- start-up -----------------------------------------------------------------------------------

    def reconcile(self) -> int:
        """Import the files once, make proposals agree with generations, export; return the newest."""
        with self.sessions() as session:
            if session.scalar(select(func.count()).select_from(ZoneGeneration)) == 0:
                self._import_files(session)
            self._approve_applied(session)
            session.commit()
        self._keep_foreign_edit()
        self.export()
        return self.latest()

    def _keep_foreign_edit(self) -> None:
        """Copy aside a zones.geojson that is no generation at all: edited by hand, not stale."""
        path = self.files.zones_path
        if not path.is_file():
            return
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
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
            query = select(ZoneGeneration.number, ZoneGeneration.geojson).where(
                (ZoneGeneration.number > since) | (ZoneGeneration.number == newest)
            )
            texts: dict[int, str] = {}
            for number, geojson in session.execute(query):
                texts[number] = geojson
        return self.files.export(generations, texts)
