"""Sharing: partners and the banks shared with them (TAXII collections); entries indexed in
the order TAXII pages them.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False, unique=True),
        sa.Column("taxii_url", sa.Text(), nullable=True),
        sa.Column("remote_key", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "bank_shares",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("bank_id", BigId, sa.ForeignKey("banks.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "partner_id", BigId, sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("can_write", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("bank_id", "partner_id", name="uq_bank_share"),
    )
    op.create_index("ix_bank_shares_bank_id", "bank_shares", ["bank_id"], unique=False)
    op.create_index("ix_bank_shares_partner_id", "bank_shares", ["partner_id"], unique=False)
    # TAXII pages a bank's entries in (added_at, id) order
    op.create_index("ix_entries_bank_added", "entries", ["bank_id", "added_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_entries_bank_added", table_name="entries")
    op.drop_table("bank_shares")
    op.drop_table("partners")
