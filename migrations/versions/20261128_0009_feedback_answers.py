"""feedback answers: a window unit's answer (答复) to a feedback, sent to the citizen

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 10:21:03

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'feedback_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('feedback_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_feedback_answers_author_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['feedback_id'], ['feedback_items.id'],
                                name=op.f('fk_feedback_answers_feedback_id_feedback_items'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_answers')),
    )
    with op.batch_alter_table('feedback_answers', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_answers_feedback_created',
                              ['feedback_id', 'created_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('feedback_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_answers_feedback_created')
    op.drop_table('feedback_answers')
