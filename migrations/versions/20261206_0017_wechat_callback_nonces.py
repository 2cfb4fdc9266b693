"""wechat callback nonces: plain-mode replay protection (issue 12, item 2)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 06:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'wechat_callback_nonces',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('body_sha256', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_wechat_callback_nonces')),
    )
    op.create_index(op.f('ix_wechat_callback_nonces_expires_at'), 'wechat_callback_nonces',
                    ['expires_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_wechat_callback_nonces_expires_at'), table_name='wechat_callback_nonces')
    op.drop_table('wechat_callback_nonces')
