"""programme reminders and repeat-problem alerts delivered as staff alerts (to units or
industry authorities); public
objections with an optional private contact

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 08:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0025'
down_revision: Union[str, Sequence[str], None] = '0024'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KINDS_OLD = "kind in ('bad_review', 'new_ticket', 'digest')"
KINDS_NEW = ("kind in ('bad_review', 'new_ticket', 'digest', 'cycle_reminder', "
             "'repeat_problem')")
ONE_TARGET = "(unit_id IS NULL) <> (industry IS NULL)"


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('staff_alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('industry', sa.String(length=32), nullable=True))
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(batch_op.f('ck_staff_alerts_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_staff_alerts_kind'), KINDS_NEW)
        batch_op.create_check_constraint(batch_op.f('ck_staff_alerts_target'), ONE_TARGET)
    with op.batch_alter_table('unit_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('industry', sa.String(length=32), nullable=True))
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_unit_contacts_industry_email'),
                                          ['industry', 'email'])
        batch_op.create_check_constraint(batch_op.f('ck_unit_contacts_target'), ONE_TARGET)
    with op.batch_alter_table('cycle_objections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('from_public', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('contact', sa.String(length=100), server_default='',
                                      nullable=False))


def downgrade() -> None:
    """Downgrade schema (industry contacts and programme reminder alerts are dropped)."""
    with op.batch_alter_table('cycle_objections', schema=None) as batch_op:
        batch_op.drop_column('contact')
        batch_op.drop_column('from_public')
    op.execute("DELETE FROM unit_contacts WHERE unit_id IS NULL")
    with op.batch_alter_table('unit_contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_unit_contacts_target'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_unit_contacts_industry_email'), type_='unique')
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('industry')
    op.execute("DELETE FROM staff_alerts WHERE unit_id IS NULL OR kind IN ('cycle_reminder', 'repeat_problem')")
    with op.batch_alter_table('staff_alerts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_staff_alerts_target'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_staff_alerts_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_staff_alerts_kind'), KINDS_OLD)
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('industry')
