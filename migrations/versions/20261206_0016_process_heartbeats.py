"""process heartbeats: the scheduler's last sign of life, for /healthz

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 06:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'process_heartbeats',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_process_heartbeats')),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('process_heartbeats')
