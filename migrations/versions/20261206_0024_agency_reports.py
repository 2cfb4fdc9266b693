"""agency reports with versions, industry contacts; staff alerts to an industry authority

Revision ID: 0024
Revises: 0019
Create Date: 2026-12-06 08:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0024'
down_revision: Union[str, Sequence[str], None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('agency_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('generated_by', sa.Integer(), nullable=True),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_note', sa.Text(), nullable=False),
    sa.CheckConstraint("state in ('draft', 'submitted')", name=op.f('ck_agency_reports_state')),
    sa.ForeignKeyConstraint(['generated_by'], ['users.id'], name=op.f('fk_agency_reports_generated_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submitted_by'], ['users.id'], name=op.f('fk_agency_reports_submitted_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_reports')),
    sa.UniqueConstraint('period', name=op.f('uq_agency_reports_period'))
    )
    op.create_table('agency_report_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_agency_report_versions_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_id'], ['agency_reports.id'], name=op.f('fk_agency_report_versions_report_id_agency_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_report_versions')),
    sa.UniqueConstraint('report_id', 'number', name='uq_agency_report_versions_number')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('agency_report_versions')
    op.drop_table('agency_reports')
