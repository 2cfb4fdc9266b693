"""assessment snapshots: versioned stored assessments of published periods

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 08:01:41.445829

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0029'
down_revision: Union[str, Sequence[str], None] = '0028'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('assessment_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('formula', sa.Text(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.Column('district_ranked', sa.Integer(), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_assessment_snapshots_version')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_assessment_snapshots_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_snapshots')),
    sa.UniqueConstraint('period', 'version', name='uq_assessment_snapshots_period_version')
    )
    op.create_table('assessment_snapshot_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('composite', sa.Double(), nullable=True),
    sa.Column('rank_district', sa.Integer(), nullable=True),
    sa.Column('rank_industry', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['assessment_snapshots.id'], name=op.f('fk_assessment_snapshot_rows_snapshot_id_assessment_snapshots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_assessment_snapshot_rows_window_id_windows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_snapshot_rows')),
    sa.UniqueConstraint('snapshot_id', 'window_id', name='uq_assessment_snapshot_rows_window')
    )
    with op.batch_alter_table('assessment_snapshot_rows', schema=None) as batch_op:
        batch_op.create_index('ix_assessment_snapshot_rows_window', ['window_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('assessment_snapshot_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_snapshot_rows_window')

    op.drop_table('assessment_snapshot_rows')
    op.drop_table('assessment_snapshots')
