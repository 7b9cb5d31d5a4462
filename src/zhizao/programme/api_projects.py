"""JSON API of the programme's projects area."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/programme", tags=["programme"])
