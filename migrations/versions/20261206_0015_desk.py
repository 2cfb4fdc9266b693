"""the agency's desk: duplicates (merge), and the queue's index

``duplicate_of_id`` records a merge (reversible; the rating's ``rating_counts`` is cleared
while merged). The queue lists a review state newest first: (review_state, received_at)
replaces the single-column review_state index, which is its first column.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 06:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_feedback_items_duplicate_of_id_feedback_items'),
                                    'feedback_items', ['duplicate_of_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_feedback_items_duplicate_of_id'), ['duplicate_of_id'],
                              unique=False)
        batch_op.create_index('ix_feedback_items_review_received',
                              ['review_state', 'received_at'], unique=False)
        batch_op.drop_index('ix_feedback_items_review_state')


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_items_review_state', ['review_state'], unique=False)
        batch_op.drop_index('ix_feedback_items_review_received')
        batch_op.drop_index(batch_op.f('ix_feedback_items_duplicate_of_id'))
        batch_op.drop_constraint(batch_op.f('fk_feedback_items_duplicate_of_id_feedback_items'),
                                 type_='foreignkey')
        batch_op.drop_column('duplicate_of_id')
