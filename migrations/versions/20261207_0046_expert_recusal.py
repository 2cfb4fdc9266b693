"""experts' work unit (工作单位) and recusal (回避) of expert assignments

users gain ``work_unit_id`` (a registered unit of the programme, or null) and ``work_unit_other``
(free text for an outside organisation, e.g. a university); expert assignments gain
``recused_at``, ``recusal_reason`` and ``recused_by``: an assignment withdrawn for a conflict of
interest is kept for the record and no longer counts. Existing rows: no work unit, not recused.

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-07 18:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0046'
down_revision: Union[str, Sequence[str], None] = '0045'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('work_unit_other', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_users_work_unit_id_units'), 'units',
                                    ['work_unit_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('cycle_expert_assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('recusal_reason', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('recused_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cycle_expert_assignments_recused_by_users'),
                                    'users', ['recused_by'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    """Downgrade schema: work units are dropped, and so are withdrawn assignments (without the
    columns they would count again as live ones)."""
    op.execute("DELETE FROM cycle_expert_assignments WHERE recused_at IS NOT NULL")
    with op.batch_alter_table('cycle_expert_assignments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cycle_expert_assignments_recused_by_users'),
                                 type_='foreignkey')
        batch_op.drop_column('recused_by')
        batch_op.drop_column('recusal_reason')
        batch_op.drop_column('recused_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_work_unit_id_units'), type_='foreignkey')
        batch_op.drop_column('work_unit_other')
        batch_op.drop_column('work_unit_id')
