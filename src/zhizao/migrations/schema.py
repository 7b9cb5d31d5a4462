"""Every context's models, imported once so that Alembic autogenerate and the tests see the whole schema."""

from zhizao.accounts import models as _accounts  # noqa: F401
from zhizao.assessment import models as _assessment  # noqa: F401
from zhizao.c2m import models as _c2m  # noqa: F401
from zhizao.connectors import models as _connectors  # noqa: F401
from zhizao.db.base import Base
from zhizao.maintenance import models_health as _maintenance_health  # noqa: F401
from zhizao.maintenance import models_sessions as _maintenance_sessions  # noqa: F401
from zhizao.maintenance import models_workorders as _maintenance_workorders  # noqa: F401
from zhizao.production import models as _production  # noqa: F401
from zhizao.programme import models as _programme  # noqa: F401
from zhizao.programme import models_acceptance as _programme_acceptance  # noqa: F401
from zhizao.programme import models_community as _programme_community  # noqa: F401
from zhizao.programme import models_delivery as _programme_delivery  # noqa: F401
from zhizao.programme import models_directory as _programme_directory  # noqa: F401
from zhizao.sharing import billing_models as _sharing_billing  # noqa: F401
from zhizao.sharing import models as _sharing  # noqa: F401
from zhizao.telemetry import models as _telemetry  # noqa: F401
from zhizao.telemetry import tables as _telemetry_tables  # noqa: F401
from zhizao.telemetry.alarms import models as _alarms  # noqa: F401
from zhizao.telemetry.commands import models as _telemetry_commands  # noqa: F401
from zhizao.vision import models as _vision  # noqa: F401
from zhizao.vision import station_models as _vision_stations  # noqa: F401

metadata = Base.metadata
