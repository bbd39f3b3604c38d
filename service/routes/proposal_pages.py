"""The proposal pages: ``GET /voorstel`` (draw and submit) and ``GET /proposals/{id}/map``.

``/voorstel`` is the same static page for everyone (``maps/draw.py``): the coordinator signs in on it
through ``POST /api/auth/token``, and its script sends the bearer token with every API call.

``/proposals/{id}/map`` shows what a proposal would change, so it follows the rules of
``GET /api/proposals/{id}``: a coordinator sees their own proposals, police and municipality those
of their municipality, anyone else nothing. A link or the address bar cannot send an
``Authorization`` header, and wabp has no session cookie (a cookie would need CSRF protection on
every API call, and a token in the URL would end up in logs, history and ``Referer``). So the
route answers in two ways:

- **without** a bearer token: a shell page that holds no data at all. Its script
  (``static/wabp/voorstel.compare.js``) takes the token this tab got on ``/voorstel`` (or asks to
  sign in) and fetches the same URL again with it;
- **with** a bearer token: the comparison map (``maps/compare.py``), after the same checks as the API
  (401 without a valid token, 403 for a role that may not read proposals or an account of no
  municipality, 404 for a proposal that is missing, someone else's or another municipality's). The
  shell replaces itself with that page. API clients (``curl -H 'Authorization: Bearer ...'``) get
  the map directly.

``Vary: Authorization`` tells caches the two answers differ; the map itself is ``no-store``.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from maps.compare import render_proposal_map, render_proposal_map_shell
from maps.tiles import tile_origin
from service.auth import SigningKeyDep, get_current_user, oauth2_scheme, require_role
from service.db import SessionDep
from service.deps import StateDep
from service.proposals import visible_proposal
from service.routes.proposals import READERS, ProposalId
from service.state import ServiceState
from service.tables import Proposal
from zones.dataset import Dataset
from zones.proposals import parse_proposal, report

router = APIRouter(include_in_schema=False)

# The drawing page runs only its own scripts (no inline code): a strict policy costs nothing there.
# Styles stay 'unsafe-inline' for Leaflet and Geoman, which position map panes with style attributes.
# Images also from the base map's host, when one is configured.
VOORSTEL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:{tiles}; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
VOORSTEL_BACK = ("/voorstel", "Terug naar de voorstelpagina")
PAGE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
_read_proposals = require_role(*READERS)


@router.get("/voorstel", response_class=HTMLResponse)
def voorstel(state: StateDep) -> HTMLResponse:
    """Serve the page where a coordinator draws a zone or picks its streets, and submits it."""
    origin = tile_origin(state.tiles)
    csp = VOORSTEL_CSP.format(tiles=f" {origin}" if origin else "")
    return HTMLResponse(
        state.current.site.draw_page(),
        headers={**PAGE_HEADERS, "Content-Security-Policy": csp},
    )


@router.get("/proposals/{proposal_id}/map", response_class=HTMLResponse)
def proposal_map(
    proposal_id: ProposalId,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    session: SessionDep,
    key: SigningKeyDep,
    state: StateDep,
) -> HTMLResponse:
    """Serve the comparison map of a proposal with a bearer token, else the shell that loads it."""
    headers = {**PAGE_HEADERS, "Vary": "Authorization"}
    if token is None:
        shell = render_proposal_map_shell(state.current.dataset.meta.name)
        return HTMLResponse(shell, headers=headers)
    user = _read_proposals(get_current_user(token, session, key))
    row = visible_proposal(session, user, proposal_id, state.current.dataset)
    # The token is the one of /voorstel's tab: back there, for the roles that propose on it.
    back = VOORSTEL_BACK if user.role in ("coordinator", "municipality") else None
    return HTMLResponse(
        comparison_map(row, state, back=back), headers={**headers, "Cache-Control": "no-store"}
    )


def comparison_map(row: Proposal, state: ServiceState, back: tuple[str, str] | None = None) -> str:
    """Render the comparison map of a proposal the caller may see (also used by /beheer).

    `back`: (link, text) to the page the reader came from.
    """
    dataset = _compared_with(row, state)
    result, after = report(parse_proposal(json.loads(row.feature_json), dataset), dataset)
    return render_proposal_map(dataset, result, after, tiles=state.tiles, back=back)


def _compared_with(row: Proposal, state: ServiceState) -> Dataset:
    """Return the zones a proposal is shown against.

    An approved one: the generation it was applied to, so the map still shows what it changed. A
    submitted one: the current zones, what approving it now would change (the approval checks the
    same). A rejected one: the zones it was last reported against.
    """
    if row.status == "approved" and row.result_generation is not None:
        return state.locator(row.result_generation - 1).ds
    if row.status == "submitted":
        return state.current.dataset
    return state.locator(row.base_generation).ds
