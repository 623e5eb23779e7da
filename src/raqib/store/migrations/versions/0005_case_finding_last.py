"""Cases keep their finding in their last column.

SQLite stores a large value in overflow pages, and reading any column stored after it (state,
times, claims) walks those pages: listing a queue of 300 cases took ~0.5 s. The finding moves to
the end of the row (add a column, copy, drop the old one, rename), on PostgreSQL too (where it
changes nothing but keeps the two schemas alike).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _move("finding", "finding_last")


def downgrade() -> None:
    pass  # the column's position does not matter to older code


def _move(column: str, scratch: str) -> None:
    op.add_column("cases", sa.Column(scratch, sa.JSON(), nullable=True))
    op.execute(f"UPDATE cases SET {scratch} = {column}")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column(column)
    with op.batch_alter_table("cases") as batch:
        batch.alter_column(scratch, new_column_name=column, existing_type=sa.JSON(), nullable=False)
