"""feedback_daily and feedback_monthly: the counted ratings from WeChat and from H5 apart
(issue 12, item 6: H5 and WeChat ratings shown apart in every count)

Both tables are derived data: they are emptied, given the two columns, and the refresh's state row
is deleted, so the next refresh (``window-watch assessment refresh-daily`` or the nightly job)
rebuilds them from the feedback rows. Until then the assessment reads the feedback rows, as
before a first refresh.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 03:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0036'
down_revision: Union[str, Sequence[str], None] = '0035'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ('feedback_daily', 'feedback_monthly')
COLUMNS = ('ratings_wechat', 'ratings_h5')


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
