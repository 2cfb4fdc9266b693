"""evidence images saved locally

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 04:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('feedback_evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('content_type', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('size_bytes', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('fetch_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('fetch_error', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('feedback_evidence', schema=None) as batch_op:
        batch_op.drop_column('fetch_error')
        batch_op.drop_column('fetch_attempts')
        batch_op.drop_column('fetched_at')
        batch_op.drop_column('size_bytes')
        batch_op.drop_column('content_type')
        batch_op.drop_column('stored_name')
