"""``/api/generations``: the history of the zone set, and what changed between two generations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from service.deps import StateDep
from service.state import ServiceState
from zones.changes import Move, ZoneChange, moves, zone_changes
from zones.generations import Generation

router = APIRouter(prefix="/api", tags=["generations"])


class GenerationDiff(BaseModel):
    """What changed from one generation to another."""

    from_generation: int
    to_generation: int
    zones: list[ZoneChange]
    moves: list[Move]


@router.get("/generations", response_model=list[Generation])
def list_generations(state: StateDep) -> list[Generation]:
    """Return every generation of the zone set, oldest first."""
    return state.generations.list()


@router.get("/generations/diff", response_model=GenerationDiff)
def diff_generations(
    state: StateDep,
    from_: Annotated[int, Query(alias="from", ge=1)],
    to: Annotated[int, Query(ge=1)],
) -> GenerationDiff:
    """Return the zones changed and the addresses moved between two generations."""
    return generation_diff(state, from_, to)


def generation_diff(state: ServiceState, from_: int, to: int) -> GenerationDiff:
    """Return what changed between two generations (UnknownGenerationError for a missing one)."""
    a, b = state.locator(from_).ds, state.locator(to).ds
    return GenerationDiff(
        from_generation=from_,
        to_generation=to,
        zones=zone_changes(a.zones, b.zones),
        moves=moves(a.register, a.table, b.table, a.zones, b.zones),
    )
