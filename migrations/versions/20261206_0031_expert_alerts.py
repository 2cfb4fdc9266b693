"""experts receive alerts: an alert contact and a staff alert may belong to an expert (a user)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 11:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0031'
down_revision: Union[str, Sequence[str], None] = '0030'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TWO_TARGETS = "(unit_id IS NULL) <> (industry IS NULL)"
ONE_OF_THREE = ("(CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN industry IS NULL "
                "THEN 0 ELSE 1 END) + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('unit_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_unit_contacts_user_id_users'), 'users',
                                    ['user_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint(batch_op.f('uq_unit_contacts_user_email'),
                                          ['user_id', 'email'])
        batch_op.drop_constraint(batch_op.f('ck_unit_contacts_target'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_unit_contacts_target'), ONE_OF_THREE)
    with op.batch_alter_table('staff_alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_staff_alerts_user_id_users'), 'users',
                                    ['user_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_staff_alerts_user_id'), ['user_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('ck_staff_alerts_target'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_staff_alerts_target'), ONE_OF_THREE)


def downgrade() -> None:
    """Downgrade schema (experts' contacts and alerts are dropped)."""
    op.execute("DELETE FROM staff_alerts WHERE user_id IS NOT NULL")
    with op.batch_alter_table('staff_alerts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_staff_alerts_target'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_staff_alerts_target'), TWO_TARGETS)
        batch_op.drop_index(batch_op.f('ix_staff_alerts_user_id'))
        batch_op.drop_constraint(batch_op.f('fk_staff_alerts_user_id_users'), type_='foreignkey')
        batch_op.drop_column('user_id')
    op.execute("DELETE FROM unit_contacts WHERE user_id IS NOT NULL")
    with op.batch_alter_table('unit_contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_unit_contacts_target'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_unit_contacts_target'), TWO_TARGETS)
        batch_op.drop_constraint(batch_op.f('uq_unit_contacts_user_email'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_unit_contacts_user_id_users'), type_='foreignkey')
        batch_op.drop_column('user_id')
