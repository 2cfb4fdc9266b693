"""programme cycle: phases, submissions, expert review, publicity, published snapshots,
reminders; the expert role

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-06 05:32:17

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


_OLD_ROLES = "role in ('office', 'agency', 'authority', 'unit')"
_NEW_ROLES = "role in ('office', 'agency', 'authority', 'unit', 'expert')"


def _set_role_check(new: str) -> None:
    """Change the users.role CHECK through Alembic's batch operations (on SQLite a rebuild of
    ``users``; migrations/env.py switches SQLite's foreign keys off for it, so the rows of
    user_scopes, api_tokens and every other table that references users stay)."""
    with op.batch_alter_table("users", schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint("role", new)


def _delete_experts() -> None:
    """Experts cannot exist under the old CHECK. SQLite runs migrations with foreign keys off
    (migrations/env.py), so the ON DELETE actions of the rows referencing them are spelled out
    here; anything else still referencing them fails env.py's foreign key check."""
    bind = op.get_bind()
    experts = "SELECT id FROM users WHERE role = 'expert'"
    if bind.dialect.name == "sqlite":
        quote = bind.dialect.identifier_preparer.quote
        inspector = sa.inspect(bind)
        for table in inspector.get_table_names():
            for fk in inspector.get_foreign_keys(table):
                if fk["referred_table"] != "users" or table == "users":
                    continue
                column = quote(fk["constrained_columns"][0])
                action = (fk.get("options") or {}).get("ondelete", "").upper()
                if action == "CASCADE":
                    op.execute(f"DELETE FROM {quote(table)} WHERE {column} IN ({experts})")
                elif action == "SET NULL":
                    op.execute(f"UPDATE {quote(table)} SET {column} = NULL WHERE {column} IN ({experts})")
    op.execute(f"DELETE FROM users WHERE id IN ({experts})")


# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    _set_role_check(_NEW_ROLES)
    op.create_table('cycles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycles')),
    sa.UniqueConstraint('year', name=op.f('uq_cycles_year'))
    )
    op.create_table('cycle_phases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.CheckConstraint('starts_on <= ends_on', name=op.f('ck_cycle_phases_dates')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_cycle_phases_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_phases')),
    sa.UniqueConstraint('cycle_id', 'kind', name='uq_cycle_phases_cycle_kind')
    )
    op.create_table('cycle_publicity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('notice', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('starts_on <= ends_on', name=op.f('ck_cycle_publicity_dates')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_cycle_publicity_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_publicity'))
    )
    with op.batch_alter_table('cycle_publicity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cycle_publicity_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('cycle_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=100), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_cycle_reminders_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_reminders')),
    sa.UniqueConstraint('cycle_id', 'phase', 'target', 'days_before', name='uq_cycle_reminders_once')
    )
    op.create_table('cycle_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('industry', sa.String(length=32), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('window_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state in ('draft', 'submitted', 'returned', 'accepted')", name=op.f('ck_cycle_submissions_state')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_cycle_submissions_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_cycle_submissions_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cycle_submissions_unit_id_units')),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_cycle_submissions_window_id_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_submissions'))
    )
    with op.batch_alter_table('cycle_submissions', schema=None) as batch_op:
        batch_op.create_index('ix_cycle_submissions_cycle_kind', ['cycle_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_cycle_submissions_industry'), ['industry'], unique=False)
        batch_op.create_index(batch_op.f('ix_cycle_submissions_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cycle_submissions_window_id'), ['window_id'], unique=False)

    op.create_table('published_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=True),
    sa.Column('industry', sa.String(length=32), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by'], ['users.id'], name=op.f('fk_published_snapshots_published_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_published_snapshots_window_id_windows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_published_snapshots')),
    sa.UniqueConstraint('kind', 'source', name='uq_published_snapshots_kind_source')
    )
    with op.batch_alter_table('published_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_published_snapshots_kind_window', ['kind', 'window_id', 'period'], unique=False)

    op.create_table('cycle_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['cycle_submissions.id'], name=op.f('fk_cycle_attachments_submission_id_cycle_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_cycle_attachments_uploaded_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_attachments'))
    )
    with op.batch_alter_table('cycle_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cycle_attachments_submission_id'), ['submission_id'], unique=False)

    op.create_table('cycle_expert_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('total', sa.Numeric(precision=5, scale=2, asdecimal=False), nullable=True),
    sa.Column('items', sa.JSON(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('total is null or (total >= 0 and total <= 100)', name=op.f('ck_cycle_expert_assignments_total')),
    sa.ForeignKeyConstraint(['expert_id'], ['users.id'], name=op.f('fk_cycle_expert_assignments_expert_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['cycle_submissions.id'], name=op.f('fk_cycle_expert_assignments_submission_id_cycle_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_expert_assignments')),
    sa.UniqueConstraint('submission_id', 'expert_id', name='uq_cycle_expert_assignments_pair')
    )
    with op.batch_alter_table('cycle_expert_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cycle_expert_assignments_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cycle_expert_assignments_submission_id'), ['submission_id'], unique=False)

    op.create_table('cycle_publicity_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publicity_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('window_name', sa.String(length=200), nullable=False),
    sa.Column('unit_name', sa.String(length=200), nullable=False),
    sa.Column('industry', sa.String(length=32), nullable=False),
    sa.Column('score', sa.Numeric(precision=5, scale=2, asdecimal=False), nullable=True),
    sa.Column('awarded_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['publicity_id'], ['cycle_publicity.id'], name=op.f('fk_cycle_publicity_entries_publicity_id_cycle_publicity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['cycle_submissions.id'], name=op.f('fk_cycle_publicity_entries_submission_id_cycle_submissions')),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_cycle_publicity_entries_window_id_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_publicity_entries')),
    sa.UniqueConstraint('publicity_id', 'submission_id', name='uq_cycle_publicity_entries_pair')
    )
    with op.batch_alter_table('cycle_publicity_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cycle_publicity_entries_publicity_id'), ['publicity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cycle_publicity_entries_window_id'), ['window_id'], unique=False)

    op.create_table('cycle_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=50), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome in ('pending', 'dismissed', 'upheld')", name=op.f('ck_cycle_objections_outcome')),
    sa.ForeignKeyConstraint(['entry_id'], ['cycle_publicity_entries.id'], name=op.f('fk_cycle_objections_entry_id_cycle_publicity_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_cycle_objections_recorded_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_objections'))
    )
    with op.batch_alter_table('cycle_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cycle_objections_entry_id'), ['entry_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('cycle_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cycle_objections_entry_id'))

    op.drop_table('cycle_objections')
    with op.batch_alter_table('cycle_publicity_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cycle_publicity_entries_window_id'))
        batch_op.drop_index(batch_op.f('ix_cycle_publicity_entries_publicity_id'))

    op.drop_table('cycle_publicity_entries')
    with op.batch_alter_table('cycle_expert_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cycle_expert_assignments_submission_id'))
        batch_op.drop_index(batch_op.f('ix_cycle_expert_assignments_expert_id'))

    op.drop_table('cycle_expert_assignments')
    with op.batch_alter_table('cycle_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cycle_attachments_submission_id'))

    op.drop_table('cycle_attachments')
    with op.batch_alter_table('published_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_published_snapshots_kind_window')

    op.drop_table('published_snapshots')
    with op.batch_alter_table('cycle_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cycle_submissions_window_id'))
        batch_op.drop_index(batch_op.f('ix_cycle_submissions_unit_id'))
        batch_op.drop_index(batch_op.f('ix_cycle_submissions_industry'))
        batch_op.drop_index('ix_cycle_submissions_cycle_kind')

    op.drop_table('cycle_submissions')
    op.drop_table('cycle_reminders')
    with op.batch_alter_table('cycle_publicity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cycle_publicity_cycle_id'))

    op.drop_table('cycle_publicity')
    op.drop_table('cycle_phases')
    op.drop_table('cycles')
    _delete_experts()
    _set_role_check(_OLD_ROLES)
