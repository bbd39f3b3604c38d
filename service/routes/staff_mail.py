"""``/beheer/meldingen``: a staff member chooses which e-mails they get (``service.mail.notices``).

Police, coordinators and municipality staff each see the messages of their role, on by default;
invitations and password resets always go out.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service.auth import SigningKeyDep
from service.db import SessionDep
from service.mail import notices
from service.routes.staff import PREFIX, SignedIn, StaffForm, done, staff_page

router = APIRouter(include_in_schema=False)
PAGE = f"{PREFIX}/meldingen"


@router.get(PAGE, response_class=HTMLResponse)
def mail_preferences(
    request: Request, user: SignedIn, session: SessionDep, key: SigningKeyDep
) -> HTMLResponse:
    """Show the messages the user's role can get, each with a checkbox."""
    chosen = notices.preferences(session, user)
    context = {
        "title": "E-mails",
        "heading": "Welke e-mails wilt u krijgen?",
        "choices": [
            (kind, label, chosen[kind]) for kind, label in notices.kinds_for(user.role).items()
        ],
    }
    return staff_page(request, "beheer/meldingen.html", context, user=user, key=key)


@router.post(PAGE)
def save_mail_preferences(user: SignedIn, form: StaffForm, session: SessionDep) -> Response:
    """Store the choices: a ticked box is on, every other message of the role off."""
    ticked = set(form.getlist("soort"))
    notices.set_preferences(
        session, user, {kind: kind in ticked for kind in notices.kinds_for(user.role)}
    )
    session.commit()
    return done(PAGE, "meldingen")
