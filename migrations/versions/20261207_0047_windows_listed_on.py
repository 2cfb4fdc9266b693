"""windows gain listed_on (挂牌日期/授牌日期): the day a window joined the programme, from which on
the periods assess it

The windows there before get the district's (Beijing) date of the day each was entered into the
system (created_at), the rule the assessment followed until now, so no period's membership moves;
the office corrects the dates from its ledger (a re-import or the window's page).

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-07 18:40:00

"""
from datetime import UTC, date, datetime
from typing import Sequence, Union
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0047'
down_revision: Union[str, Sequence[str], None] = '0046'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_windows = sa.table('windows', sa.column('id', sa.Integer),
                    sa.column('created_at', sa.DateTime(timezone=True)),
                    sa.column('listed_on', sa.Date))


def _local_day(value: datetime | str) -> date:
    if isinstance(value, str):  # SQLite without the type's converter
        value = datetime.fromisoformat(value)
    # SQLite gives the stored UTC time back naive.
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return value.astimezone(LOCAL_TZ).date()


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('windows') as batch:
        batch.add_column(sa.Column('listed_on', sa.Date(), nullable=True))
    conn = op.get_bind()
    for window_id, created_at in conn.execute(sa.select(_windows.c.id, _windows.c.created_at)).all():
        conn.execute(_windows.update().where(_windows.c.id == window_id)
                     .values(listed_on=_local_day(created_at)))
    with op.batch_alter_table('windows') as batch:
        batch.alter_column('listed_on', existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('windows') as batch:
        batch.drop_column('listed_on')
