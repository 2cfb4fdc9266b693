"""feedback_daily and feedback_monthly: the counted ratings per level from WeChat and from H5
(issue 12, item 6: the five-level distribution shown per channel)

Ten columns (r1_wechat … r5_wechat, r1_h5 … r5_h5). As in 0036 both tables are derived data:
they are emptied and the refresh's state row deleted, so the next refresh rebuilds them from
the feedback rows; until then the assessment reads the feedback rows.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07 06:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0037'
down_revision: Union[str, Sequence[str], None] = '0036'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ('feedback_daily', 'feedback_monthly')
COLUMNS = tuple(f'r{k}_{c}' for c in ('wechat', 'h5') for k in range(1, 6))


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("DELETE FROM feedback_daily_refresh")
    for table in TABLES:
        op.execute(f"DELETE FROM {table}")
        # Empty tables: NOT NULL needs no default (SQLite's ADD COLUMN wants one all the same,
        # so it is given, then dropped to match the models).
        with op.batch_alter_table(table) as batch:
            for column in COLUMNS:
                batch.add_column(sa.Column(column, sa.Integer(), nullable=False,
                                           server_default='0'))
        with op.batch_alter_table(table) as batch:
            for column in COLUMNS:
                batch.alter_column(column, server_default=None)


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DELETE FROM feedback_daily_refresh")
    for table in TABLES:
        op.execute(f"DELETE FROM {table}")
        with op.batch_alter_table(table) as batch:
            for column in COLUMNS:
                batch.drop_column(column)
