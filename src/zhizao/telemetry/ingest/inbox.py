"""A queue bounded by count and by bytes: a producer that finds it full waits (backpressure), never grows it."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Closed(Exception):
    """The inbox was closed and nothing is left in it."""


class Inbox(Generic[T]):
    def __init__(self, max_items: int, max_bytes: int) -> None:
        if max_items < 1 or max_bytes < 1:
            raise ValueError("an inbox holds at least one item and one byte")
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._items: deque[tuple[T, int]] = deque()
        self._bytes = 0
        self._closed = False
        self._lock = threading.Lock()
        self._not_full = threading.Condition(self._lock)
        self._not_empty = threading.Condition(self._lock)

    @property
    def depth(self) -> int:
        return len(self._items)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def put(self, item: T, size: int) -> bool:
        """Wait for room, then add ``item``; False (not added) once the inbox is closed. One item larger than
        ``max_bytes`` is let in alone, when the inbox is empty."""
        with self._not_full:
            while (
                not self._closed
                and self._items
                and (len(self._items) >= self.max_items or self._bytes + size > self.max_bytes)
            ):
                self._not_full.wait()
            if self._closed:
                return False
            self._items.append((item, size))
            self._bytes += size
            self._not_empty.notify()
            return True

    def get(self, timeout: float | None) -> T | None:
        """The oldest item, None after ``timeout`` seconds without one; raises ``Closed`` when closed and empty."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._not_empty:
            while not self._items:
                if self._closed:
                    raise Closed
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._not_empty.wait(remaining)
            item, size = self._items.popleft()
            self._bytes -= size
            self._not_full.notify()
            return item

    def close(self) -> None:
        """Refuse new items; what is in the inbox can still be taken out."""
        with self._lock:
            self._closed = True
            self._not_full.notify_all()
            self._not_empty.notify_all()
