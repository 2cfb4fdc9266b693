"""a conversation remembers its latest feedback by receipt number, not by id

The webhook writes a message's rows in one statement on PostgreSQL (see fastsql). The feedback's
id is made by the database, so a conversation pointing at it by id had to be written in a
statement of its own, after the feedback's; the receipt number is made before either is written.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 09:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('wechat_conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latest_receipt_no', sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_wechat_conversations_latest_receipt_no_feedback_items'),
            'feedback_items', ['latest_receipt_no'], ['receipt_no'], ondelete='SET NULL')
    op.execute("UPDATE wechat_conversations SET latest_receipt_no = (SELECT receipt_no FROM "
               "feedback_items WHERE feedback_items.id = wechat_conversations.latest_feedback_id)"
               " WHERE latest_feedback_id IS NOT NULL")
    with op.batch_alter_table('wechat_conversations', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_wechat_conversations_latest_feedback_id_feedback_items'),
            type_='foreignkey')
        batch_op.drop_column('latest_feedback_id')


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('wechat_conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latest_feedback_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_wechat_conversations_latest_feedback_id_feedback_items'),
            'feedback_items', ['latest_feedback_id'], ['id'], ondelete='SET NULL')
    op.execute("UPDATE wechat_conversations SET latest_feedback_id = (SELECT id FROM "
               "feedback_items WHERE feedback_items.receipt_no = "
               "wechat_conversations.latest_receipt_no) WHERE latest_receipt_no IS NOT NULL")
    with op.batch_alter_table('wechat_conversations', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_wechat_conversations_latest_receipt_no_feedback_items'),
            type_='foreignkey')
        batch_op.drop_column('latest_receipt_no')
