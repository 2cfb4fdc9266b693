"""tickets.callback_due indexed: the agency's next call-back deadline, shown in its nav on
every page, is read from the index instead of a scan of every ticket

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 14:30:00

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0033'
down_revision: Union[str, Sequence[str], None] = '0032'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(op.f('ix_tickets_callback_due'), 'tickets', ['callback_due'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_tickets_callback_due'), table_name='tickets')
