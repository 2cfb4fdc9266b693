"""feedback_monthly: the daily sums rolled up per month, and the 差评 outcomes kept in both
(issue 14: the full assessment and the quarter-end night at a city's scale)

``feedback_daily`` is derived data: it is dropped and created again with the two outcome
columns, and the refresh's state row is deleted, so the next refresh (``window-watch assessment
refresh-daily`` or the nightly job) rebuilds the daily and the monthly sums from the feedback
rows. Until then the assessment reads the feedback rows, as before a first refresh.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 15:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0034'
down_revision: Union[str, Sequence[str], None] = '0033'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _sums(name: str, key: str, outcomes: bool) -> None:
    op.create_table(
        name,
        sa.Column('window_id', sa.Integer(), nullable=False),
        sa.Column(key, sa.Date(), nullable=False),
        sa.Column('topic', sa.String(length=32), nullable=False),
        sa.Column('ratings', sa.Integer(), nullable=False),
        sa.Column('rating_sum', sa.Integer(), nullable=False),
        sa.Column('r1', sa.Integer(), nullable=False),
        sa.Column('r2', sa.Integer(), nullable=False),
        sa.Column('r3', sa.Integer(), nullable=False),
        sa.Column('r4', sa.Integer(), nullable=False),
        sa.Column('r5', sa.Integer(), nullable=False),
        sa.Column('opinions', sa.Integer(), nullable=False),
        sa.Column('sentiment_sum', sa.Double(), nullable=False),
        sa.Column('sentiment_count', sa.Integer(), nullable=False),
        *([sa.Column('bad_closed', sa.Integer(), nullable=False),
           sa.Column('bad_called', sa.Integer(), nullable=False)] if outcomes else []),
        sa.ForeignKeyConstraint(['window_id'], ['windows.id'],
                                name=op.f(f'fk_{name}_window_id_windows')),
        sa.PrimaryKeyConstraint('window_id', key, 'topic', name=op.f(f'pk_{name}')),
    )


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_table('feedback_daily')
    _sums('feedback_daily', 'day', True)
    _sums('feedback_monthly', 'month', True)
    op.execute("DELETE FROM feedback_daily_refresh")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('feedback_monthly')
    op.drop_table('feedback_daily')
    _sums('feedback_daily', 'day', False)
    op.execute("DELETE FROM feedback_daily_refresh")
