"""vision station threshold

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 12:15:57.850868
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vision_station", schema=None) as batch_op:
        # NULL: the station decides at its model's own threshold, as every station did before.
        batch_op.add_column(sa.Column("threshold", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vision_station", schema=None) as batch_op:
        batch_op.drop_column("threshold")
