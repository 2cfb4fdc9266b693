"""rate limit counters shared by all workers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 04:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'rate_limit_hits',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key', 'bucket', name=op.f('pk_rate_limit_hits')),
    )
    with op.batch_alter_table('rate_limit_hits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_hits_bucket'), ['bucket'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('rate_limit_hits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_hits_bucket'))
    op.drop_table('rate_limit_hits')
