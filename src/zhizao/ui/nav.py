"""Navigation entries: each context declares its own; the layout shows those the caller's role may use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str  # English message id, translated when rendered
    href: str
    roles: frozenset[str] | None = None  # None: every signed-in user
    group: str = "main"
    order: int = 100

    def visible_to(self, role: str | None) -> bool:
        if role is None:
            return False
        return self.roles is None or role in self.roles


def visible_items(items: Iterable[NavItem], role: str | None) -> list[NavItem]:
    return sorted((item for item in items if item.visible_to(role)), key=lambda item: (item.order, item.href))
