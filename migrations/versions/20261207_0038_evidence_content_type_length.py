"""evidence_files.content_type: 100 characters, as the other upload tables have

A ticket's proof may now be a Word (.docx) or Excel (.xlsx) file, whose MIME types are 71 and
65 characters long; the column held 64. Widening keeps every row as it is.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0038'
down_revision: Union[str, Sequence[str], None] = '0037'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('evidence_files') as batch:
        batch.alter_column('content_type', existing_type=sa.String(64), type_=sa.String(100),
                           existing_nullable=False)


def downgrade() -> None:
    """Downgrade schema: refused while a row holds a longer type (nothing is cut silently)."""
    with op.batch_alter_table('evidence_files') as batch:
        batch.alter_column('content_type', existing_type=sa.String(100), type_=sa.String(64),
                           existing_nullable=False)
