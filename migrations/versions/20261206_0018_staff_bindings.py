"""staff bindings: a staff user's own WeChat identity, for alerts and abuse detection

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 07:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0018'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'staff_bindings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('citizen_id', sa.Integer(), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('token_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('bound_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'],
                                name=op.f('fk_staff_bindings_citizen_id_citizens'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_staff_bindings_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_bindings')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_staff_bindings_token_hash')),
        sa.UniqueConstraint('user_id', name=op.f('uq_staff_bindings_user_id')),
    )
    with op.batch_alter_table('staff_bindings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_bindings_citizen_id'), ['citizen_id'],
                              unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('staff_bindings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_bindings_citizen_id'))
    op.drop_table('staff_bindings')
