"""standards gain the incident deductions (重大事件扣分): points taken from the composite per
incident of the period, one figure for a general incident (一般) and one for a major one (重大)

The standards stored before get 0 for both, so the figures of the periods already assessed (and
published) do not move: the office sets them on the standard's page. New standards get defaults
from the service (``feedback_api.services.standards.DEFAULT_DEDUCTIONS``), not from here.

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-07 18:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0045'
down_revision: Union[str, Sequence[str], None] = '0044'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('standards') as batch:
        batch.add_column(sa.Column('deduction_general', sa.Double(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('deduction_major', sa.Double(), nullable=False,
                                   server_default='0'))
        batch.create_check_constraint(
            'deductions', 'deduction_general >= 0 and deduction_general <= 100'
            ' and deduction_major >= 0 and deduction_major <= 100')


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('standards') as batch:
        batch.drop_constraint(op.f('ck_standards_deductions'), type_='check')
        batch.drop_column('deduction_major')
        batch.drop_column('deduction_general')
