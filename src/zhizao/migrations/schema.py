"""Every context's models, imported once so that Alembic autogenerate and the tests see the whole schema."""

from zhizao.accounts import models as _accounts  # noqa: F401
from zhizao.db.base import Base

metadata = Base.metadata
