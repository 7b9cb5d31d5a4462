"""JSON API of the programme's acceptance area."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/programme", tags=["programme"])
