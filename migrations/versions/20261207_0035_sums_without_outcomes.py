"""The daily and monthly sums without the 差评 outcomes: what became of a 差评 is judged by the
assessment's clock (its ticket closed, or its first deadline passed, as of then), which sums
precomputed at night cannot hold; the assessment reads it by one grouped query over the
tickets' feedback links (``analytics.assessment_tickets``)

The other sums stay as they are (dropping two columns changes none of them), so no refresh is
needed. Downgrading adds the columns back as zeros and deletes the refresh's state row, so the
next refresh rebuilds every sum with them.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 03:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0035'
down_revision: Union[str, Sequence[str], None] = '0034'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ('feedback_daily', 'feedback_monthly')


def upgrade() -> None:
    """Upgrade schema."""
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_column('bad_called')
            batch.drop_column('bad_closed')


def downgrade() -> None:
    """Downgrade schema."""
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column('bad_closed', sa.Integer(), nullable=False,
                                       server_default='0'))
            batch.add_column(sa.Column('bad_called', sa.Integer(), nullable=False,
                                       server_default='0'))
    op.execute("DELETE FROM feedback_daily_refresh")
