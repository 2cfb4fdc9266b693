"""plain mode's signed query kept in the inbound log's row, not a table of its own (issue 11)

The message's log row is written anyway: a unique index on its query turns a reused query into
the same failed commit a retry meets, and saves each plain-mode message a read and an insert.
Queries remembered in the dropped table go with it; a query only lives 5 minutes.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 08:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0030'
down_revision: Union[str, Sequence[str], None] = '0029'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('wechat_inbound_messages', sa.Column('query_key', sa.String(length=64), nullable=True))
    op.add_column('wechat_inbound_messages', sa.Column('body_sha256', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_wechat_inbound_messages_query_key'), 'wechat_inbound_messages',
                    ['query_key'], unique=True)
    op.drop_index(op.f('ix_wechat_callback_nonces_expires_at'), table_name='wechat_callback_nonces')
    op.drop_table('wechat_callback_nonces')


def downgrade() -> None:
    """Downgrade schema."""
    op.create_table(
        'wechat_callback_nonces',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('body_sha256', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_wechat_callback_nonces')),
    )
    op.create_index(op.f('ix_wechat_callback_nonces_expires_at'), 'wechat_callback_nonces',
                    ['expires_at'], unique=False)
    op.drop_index(op.f('ix_wechat_inbound_messages_query_key'), table_name='wechat_inbound_messages')
    with op.batch_alter_table('wechat_inbound_messages') as batch:
        batch.drop_column('body_sha256')
        batch.drop_column('query_key')
