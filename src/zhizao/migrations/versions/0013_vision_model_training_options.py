"""vision model training options

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 08:36:13.972631
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vision_model", schema=None) as batch_op:
        # Models trained before were trained without options: an empty object, not NULL.
        batch_op.add_column(sa.Column("options", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.alter_column(
            "algorithm", existing_type=sa.VARCHAR(length=200), type_=sa.String(length=400), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("vision_model", schema=None) as batch_op:
        batch_op.alter_column(
            "algorithm", existing_type=sa.String(length=400), type_=sa.VARCHAR(length=200), existing_nullable=True
        )
        batch_op.drop_column("options")
