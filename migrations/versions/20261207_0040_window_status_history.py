"""window_status_changes: the history of each window's title status; delisting proposals may be
withdrawn (无需处理)

Every window's status as it stands becomes its first entry (via 'backfill', from no status),
so each window's history starts where the registry is today. A proposal is withdrawn, not
dismissed, when its window was delisted on another rule or its incident is no longer major.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07 12:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0040'
down_revision: Union[str, Sequence[str], None] = '0039'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_OLD_STATES = "state in ('open', 'confirmed', 'dismissed')"
_NEW_STATES = "state in ('open', 'confirmed', 'dismissed', 'withdrawn')"
_VIA = "via in ('edit', 'api', 'import', 'award', 'delisting', 'backfill')"


def _set_state_check(new: str) -> None:
    # On SQLite a rebuild of ``delisting_proposals`` (migrations/env.py keeps foreign keys off).
    with op.batch_alter_table("delisting_proposals", schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_delisting_proposals_state"), type_="check")
        batch_op.create_check_constraint("state", new)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'window_status_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('window_id', sa.Integer(), nullable=False),
        sa.Column('from_status', sa.String(length=16), nullable=True),
        sa.Column('to_status', sa.String(length=16), nullable=False),
        sa.Column('status_year', sa.Integer(), nullable=True),
        sa.Column('effective_on', sa.Date(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('via', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_VIA, name=op.f('ck_window_status_changes_via')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_window_status_changes_user_id_users')),
        sa.ForeignKeyConstraint(['window_id'], ['windows.id'], ondelete='CASCADE',
                                name=op.f('fk_window_status_changes_window_id_windows')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_window_status_changes')),
    )
    op.create_index(op.f('ix_window_status_changes_window_id'), 'window_status_changes',
                    ['window_id'], unique=False)
    op.execute(
        "INSERT INTO window_status_changes (window_id, from_status, to_status, status_year, "
        "effective_on, reason, user_id, actor, via, created_at) "
        "SELECT id, NULL, status, status_year, status_date, COALESCE(status_reason, ''), NULL, "
        "'system', 'backfill', CURRENT_TIMESTAMP FROM windows")
    _set_state_check(_NEW_STATES)


def downgrade() -> None:
    """Downgrade schema: the history goes; a withdrawn proposal cannot exist under the old CHECK,
    so it becomes dismissed (its note, saying why, stays)."""
    op.execute("UPDATE delisting_proposals SET state = 'dismissed' WHERE state = 'withdrawn'")
    _set_state_check(_OLD_STATES)
    op.drop_index(op.f('ix_window_status_changes_window_id'), table_name='window_status_changes')
    op.drop_table('window_status_changes')
