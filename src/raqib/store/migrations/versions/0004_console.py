"""The review console: case media and comments, display (wellbeing) settings, exposures,
removal orders; cases gain cluster, golden answer, second review, removal order and deadline;
decisions gain their review kind.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "display_settings",
        sa.Column("scope", sa.String(length=120), primary_key=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "removal_orders",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entered_by", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    _case_child(
        "case_comments",
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    _case_child(
        "case_media",
        sa.Column("sha256", sa.String(length=64), nullable=False, index=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
    )
    op.create_table(
        "exposures",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("case_id", BigId, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("media", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_exposures_actor_at", "exposures", ["actor", "at"], unique=False)
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("cluster", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("golden_outcome", sa.String(length=40), nullable=True))
        batch.add_column(
            sa.Column("second_review", sa.String(20), nullable=False, server_default="none")
        )
        batch.add_column(sa.Column("removal_order_id", BigId, nullable=True))
        batch.add_column(sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_cases_cluster", ["cluster"], unique=False)
        batch.create_index("ix_cases_removal_order_id", ["removal_order_id"], unique=False)
        batch.create_index("ix_cases_second_review", ["second_review"], unique=False)
        batch.create_index(
            "ix_cases_queue_state_deadline", ["queue_id", "state", "deadline_at"], unique=False
        )
        batch.create_foreign_key(
            "fk_cases_removal_order", "removal_orders", ["removal_order_id"], ["id"]
        )
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(
            sa.Column("review_kind", sa.String(20), nullable=False, server_default="primary")
        )


def _case_child(name: str, *columns: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        sa.Column("id", BigId, primary_key=True),
        sa.Column("case_id", BigId, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        *columns,
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(f"ix_{name}_case_id", name, ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("review_kind")
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("fk_cases_removal_order", type_="foreignkey")
        batch.drop_index("ix_cases_queue_state_deadline")
        batch.drop_index("ix_cases_second_review")
        batch.drop_index("ix_cases_removal_order_id")
        batch.drop_index("ix_cases_cluster")
        for column in ("deadline_at", "removal_order_id", "second_review", "golden_outcome"):
            batch.drop_column(column)
        batch.drop_column("cluster")
    for table in ("exposures", "case_media", "case_comments", "removal_orders", "display_settings"):
        op.drop_table(table)
