"""The end of every owner form on a listing: to the next page when the action succeeds, else the same page again
with what the owner got wrong beside its input (what the action began is rolled back first)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.principal import Principal
from zhizao.errors import FieldProblem
from zhizao.sharing import catalogue
from zhizao.sharing.models import SharedEquipment
from zhizao.ui.forms import attempt


def submit(
    session: Session,
    principal: Principal,
    listing_id: int,
    action: Callable[[], Any],
    done_url: str,
    again: Callable[[SharedEquipment, list[FieldProblem]], Response],
) -> Response:
    """Run ``action``; a 303 to ``done_url``, or ``again(listing, problems)`` (the listing reloaded: 404 for anyone
    but its owner)."""
    done, problems = attempt(action)
    if done is not None:
        return RedirectResponse(done_url, status_code=303)
    session.rollback()
    return again(catalogue.owned_listing(session, principal, listing_id), problems)
