"""ticket cancellation: the cancelled state (已撤销) and its reason

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 08:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


_OLD_STATES = "state in ('open', 'responded', 'closed')"
_NEW_STATES = "state in ('open', 'responded', 'closed', 'cancelled')"

# revision identifiers, used by Alembic.
revision: str = '0028'
down_revision: Union[str, Sequence[str], None] = '0027'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _set_state_check(new: str) -> None:
    # On SQLite a rebuild of ``tickets`` (migrations/env.py keeps foreign keys off for it).
    with op.batch_alter_table("tickets", schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_tickets_state"), type_="check")
        batch_op.create_check_constraint("state", new)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
    _set_state_check(_NEW_STATES)


def downgrade() -> None:
    """Downgrade schema: cancelled tickets cannot exist under the old CHECK, so they become
    closed (their reason goes with the column)."""
    op.execute("UPDATE tickets SET state = 'closed' WHERE state = 'cancelled'")
    _set_state_check(_OLD_STATES)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
