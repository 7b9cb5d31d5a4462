"""Every context's models, imported once so that Alembic autogenerate and the tests see the whole schema."""

from zhizao.accounts import models as _accounts  # noqa: F401
from zhizao.assessment import models as _assessment  # noqa: F401
from zhizao.db.base import Base
from zhizao.production import models as _production  # noqa: F401
from zhizao.telemetry import models as _telemetry  # noqa: F401
from zhizao.telemetry import tables as _telemetry_tables  # noqa: F401

metadata = Base.metadata
