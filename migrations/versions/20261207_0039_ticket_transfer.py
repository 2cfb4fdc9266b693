"""ticket transfer (转办): each round's window, and the transferred verdict (已转办)

A ticket sent to the wrong window is transferred to another one: the current round closes as
transferred for its window and the next round runs at the new window. Each round now names the
window it was pushed to (every existing round: its ticket's window), so the rounds count for
the window that had them.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 12:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


_OLD_VERDICTS = "verdict is null or verdict in ('verified', 'sent_back')"
_NEW_VERDICTS = "verdict is null or verdict in ('verified', 'sent_back', 'transferred')"

# revision identifiers, used by Alembic.
revision: str = '0039'
down_revision: Union[str, Sequence[str], None] = '0038'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('ticket_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_id', sa.Integer(), nullable=True))
    op.execute("UPDATE ticket_rounds SET window_id = (SELECT tickets.window_id FROM tickets "
               "WHERE tickets.id = ticket_rounds.ticket_id)")
    # On SQLite a rebuild of ``ticket_rounds`` (migrations/env.py keeps foreign keys off for it).
    with op.batch_alter_table('ticket_rounds', schema=None, recreate="auto") as batch_op:
        batch_op.alter_column('window_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_ticket_rounds_window_id_windows'),
                                    'windows', ['window_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_ticket_rounds_window_id'), ['window_id'])
        batch_op.drop_constraint(op.f('ck_ticket_rounds_verdict'), type_='check')
        batch_op.create_check_constraint('verdict', _NEW_VERDICTS)


def downgrade() -> None:
    """Downgrade schema: a transferred round cannot exist under the old CHECK; it becomes a
    sent-back one (its reason stays), and the rounds forget their window."""
    op.execute("UPDATE ticket_rounds SET verdict = 'sent_back' WHERE verdict = 'transferred'")
    with op.batch_alter_table('ticket_rounds', schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f('ck_ticket_rounds_verdict'), type_='check')
        batch_op.create_check_constraint('verdict', _OLD_VERDICTS)
        batch_op.drop_index(batch_op.f('ix_ticket_rounds_window_id'))
        batch_op.drop_constraint(batch_op.f('fk_ticket_rounds_window_id_windows'),
                                 type_='foreignkey')
        batch_op.drop_column('window_id')
