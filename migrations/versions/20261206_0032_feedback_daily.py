"""feedback_daily: per-window per-day sums of counted feedback, and feedback_items.changed_at
(issue 14: the nightly incremental run)

``changed_at`` is set on every insert and update of a feedback row; existing rows take their
``created_at``. The sums are filled by the first refresh (``window-watch assessment
refresh-daily`` or the nightly job), which finds no state row and rebuilds them all.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 11:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0032'
down_revision: Union[str, Sequence[str], None] = '0031'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('feedback_items', sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE feedback_items SET changed_at = created_at")
    op.create_index(op.f('ix_feedback_items_changed_at'), 'feedback_items', ['changed_at'],
                    unique=False)
    op.create_table(
        'feedback_daily',
        sa.Column('window_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
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
        sa.ForeignKeyConstraint(['window_id'], ['windows.id'],
                                name=op.f('fk_feedback_daily_window_id_windows')),
        sa.PrimaryKeyConstraint('window_id', 'day', 'topic', name=op.f('pk_feedback_daily')),
    )
    op.create_table(
        'feedback_daily_refresh',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('changed_since', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_feedback_daily_refresh')),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('feedback_daily_refresh')
    op.drop_table('feedback_daily')
    op.drop_index(op.f('ix_feedback_items_changed_at'), table_name='feedback_items')
    with op.batch_alter_table('feedback_items') as batch:
        batch.drop_column('changed_at')
