"""Pages of the programme's acceptance area."""

from __future__ import annotations

from fastapi import APIRouter

from zhizao.ui.nav import NavItem

router = APIRouter(include_in_schema=False)
NAV: tuple[NavItem, ...] = ()
