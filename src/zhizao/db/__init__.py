"""Relational storage: engine and session factories and the declarative base."""

from zhizao.db.base import Base, utcnow
from zhizao.db.engine import Database, create_database

__all__ = ["Base", "Database", "create_database", "utcnow"]
