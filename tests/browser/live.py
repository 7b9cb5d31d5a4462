"""The running app as the browser tests see it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LiveServer:
    base_url: str

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"
