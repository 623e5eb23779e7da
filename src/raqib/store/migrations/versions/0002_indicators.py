"""Text indicator lists.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "indicator_lists",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("origin", sa.String(40), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "indicators",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "list_id",
            BigId,
            sa.ForeignKey("indicator_lists.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("entity", sa.Text, nullable=True),
        sa.Column("language", sa.String(12), nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("stance", sa.String(12), nullable=True),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("chain", sa.String(12), nullable=True),
    )
    op.create_index("ix_indicators_list_id", "indicators", ["list_id"])


def downgrade() -> None:
    op.drop_index("ix_indicators_list_id", table_name="indicators")
    op.drop_table("indicators")
    op.drop_table("indicator_lists")
