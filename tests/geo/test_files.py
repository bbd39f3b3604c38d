"""Atomic writes: a reader sees the old file or the new one, never a torn or missing one."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from geo.files import atomic_write_bytes, atomic_write_text


def leftovers(directory: Path) -> list[str]:
    """Return the temp files an interrupted write would leave (``.name.*.tmp``)."""
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_writes_new_file_and_creates_parent(tmp_path: Path) -> None:
    target = tmp_path / "out" / "zones.geojson"
    atomic_write_text(target, '{"zone": "Sint-Joris–Zuid"}\n')
    assert target.read_bytes() == '{"zone": "Sint-Joris–Zuid"}\n'.encode()
    assert leftovers(target.parent) == []


def test_replaces_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "zones.geojson"
    target.write_text("old", encoding="utf-8")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert leftovers(tmp_path) == []


def test_failed_replace_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "zones.geojson"
    target.write_text("old", encoding="utf-8")
    seen: list[str] = []

    def refuse(src: str, dst: str) -> None:
        seen.append(os.path.basename(src))
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert leftovers(tmp_path) == []
    # The temp file was a sibling of the target (same filesystem, so the rename is atomic).
    assert len(seen) == 1 and seen[0].startswith(".zones.geojson.")


def test_failed_write_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "zones.geojson"
    target.write_text("old", encoding="utf-8")

    def fail(fd: int) -> None:
        raise OSError("I/O error")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="I/O error"):
        atomic_write_bytes(target, b"new")
    assert target.read_text(encoding="utf-8") == "old"
    assert leftovers(tmp_path) == []


def test_interrupt_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "zones.geojson"

    def interrupt(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "new")
    assert not target.exists()
    assert leftovers(tmp_path) == []


def test_mode_of_the_old_file_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "zones.geojson"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    atomic_write_text(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_new_file_gets_the_umask_mode_not_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "zones.geojson", "new")
    finally:
        os.umask(old)
    # mkstemp creates 0600; a published file must stay readable by the web server.
    assert stat.S_IMODE((tmp_path / "zones.geojson").stat().st_mode) == 0o644
