"""The group rules (huishoudelijk reglement) and the statement of intent, versioned in the dataset.

``reglement.json`` in the dataset directory names each text's version and Markdown file::

    {"rules": {"version": "2026-1", "file": "reglement.md"},
     "statement": {"version": "2026-1", "file": "reglement.intentieverklaring.md"}}

An application stores the version *and* the SHA-256 of the text the applicant accepted, so the
consent can be demonstrated later even if someone edited a file without bumping its version.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from geo.files import atomic_write_text
from zones.errors import DatasetError, UnavailableError
from zones.sources import slugify

RULES_FILE = "reglement.json"


class RulesMissingError(DatasetError, UnavailableError):
    """The dataset has no group rules, so nobody can accept them (registration is switched off)."""

    code = "registration_unavailable"


class TextRef(BaseModel):
    """One text of ``reglement.json``: its version and its Markdown file in the dataset."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=40)
    file: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+\.md$")


class RulesSpec(BaseModel):
    """``reglement.json``: the group rules and the statement of intent."""

    model_config = ConfigDict(extra="forbid")

    rules: TextRef
    statement: TextRef


class VersionedText(BaseModel):
    """One text residents accept: its version, its Markdown and the SHA-256 of that Markdown."""

    model_config = ConfigDict(frozen=True)

    version: str
    text: str
    sha256: str


class GroupRules(BaseModel):
    """The current group rules and statement of intent of a dataset."""

    model_config = ConfigDict(frozen=True)

    rules: VersionedText
    statement: VersionedText


_cache: dict[tuple[Path, str], tuple[tuple[int, ...], GroupRules]] = {}
_lock = threading.Lock()


def _stamp(paths: list[Path]) -> tuple[int, ...]:
    return tuple(v for p in paths for v in (p.stat().st_mtime_ns, p.stat().st_size))


def _text(root: Path, ref: TextRef) -> VersionedText:
    path = root / ref.file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror})") from None
    return VersionedText(
        version=ref.version, text=text, sha256=hashlib.sha256(text.encode()).hexdigest()
    )


def load_group_rules(
    root: Path, rules_file: str | None = None, rules_version: str | None = None
) -> GroupRules:
    """Return the dataset's current rules and statement; re-read only when a file changed.

    `rules_file`: a municipality's own rules text (``dataset.json``), in place of the dataset's,
    under its own `rules_version`; without one it keeps the version ``reglement.json`` gives
    (the SHA-256 every consent stores tells the texts apart).
    """
    meta = Path(root) / RULES_FILE
    spec = read_spec(root)
    if rules_file:
        try:
            spec.rules = TextRef(version=rules_version or spec.rules.version, file=rules_file)
        except ValidationError as exc:
            raise DatasetError(f"{meta}: rules file {rules_file!r}: {exc}") from None
    files = [meta, meta.parent / spec.rules.file, meta.parent / spec.statement.file]
    try:
        stamp = _stamp(files)
    except OSError as exc:
        raise DatasetError(f"{exc.filename}: cannot read ({exc.strerror})") from None
    with _lock:
        cached = _cache.get((meta, spec.rules.file))
        # A municipality's own version is in dataset.json, which the stamp does not cover.
        if (
            cached is not None
            and cached[0] == stamp
            and cached[1].rules.version == spec.rules.version
        ):
            return cached[1]
    rules = GroupRules(
        rules=_text(meta.parent, spec.rules), statement=_text(meta.parent, spec.statement)
    )
    with _lock:
        _cache[(meta, spec.rules.file)] = (stamp, rules)
    return rules


def read_spec(root: Path) -> RulesSpec:
    """Return the ``reglement.json`` of a dataset directory (RulesMissingError without one)."""
    meta = Path(root) / RULES_FILE
    if not meta.is_file():
        raise RulesMissingError(f"{meta}: no group rules in this dataset, so no registrations")
    try:
        return RulesSpec.model_validate(json.loads(meta.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        raise DatasetError(f"{meta}: {exc}") from None


def write_spec(root: Path, spec: RulesSpec) -> None:
    """Write `spec` as the dataset's ``reglement.json`` (at once: a reader sees old or new)."""
    text = json.dumps(spec.model_dump(), ensure_ascii=False, indent=1) + "\n"
    atomic_write_text(Path(root) / RULES_FILE, text)


def next_version(current: str, year: int) -> str:
    """Return the version after `current`: ``2026-2`` is followed by ``2026-3``, or ``2027-1``.

    Versions the municipality wrote in another form start the count in `year`.
    """
    found = re.fullmatch(r"(\d{4})-(\d+)", current.strip())
    if found is None or int(found.group(1)) < year:
        return f"{year}-1"
    # A version of this year (or of a later one, written by hand) counts on.
    return f"{found.group(1)}-{int(found.group(2)) + 1}"


def own_rules_file(municipality: str) -> str:
    """Return the file of a municipality's own rules text (``reglement.heers.md``)."""
    return f"reglement.{slugify(municipality)}.md"
