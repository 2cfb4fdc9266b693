"""supervision tickets (督办单): rounds, linked feedback, call-backs, appeals, evidence files,
the office's holiday calendar, units' alert contacts and queued e-mail alerts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 05:29:49

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('office_calendar',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('workday', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_office_calendar'))
    )
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_ref', sa.String(length=200), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('callback_due', sa.Date(), nullable=True),
    sa.Column('callback_overdue', sa.Boolean(), nullable=False),
    sa.Column('fix_due', sa.Date(), nullable=False),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("source in ('feedback', 'inspection', 'office')", name=op.f('ck_tickets_source')),
    sa.CheckConstraint("state in ('open', 'responded', 'closed')", name=op.f('ck_tickets_state')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_tickets_closed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_tickets_opened_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_tickets_window_id_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_tickets_number'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_fix_due'), ['fix_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_overdue'), ['overdue'], unique=False)
        batch_op.create_index('ix_tickets_window_state', ['window_id', 'state'], unique=False)

    op.create_table('appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind in ('malicious', 'mistaken')", name=op.f('ck_appeals_kind')),
    sa.CheckConstraint("state in ('pending', 'upheld', 'rejected')", name=op.f('ck_appeals_state')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_appeals_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback_items.id'], name=op.f('fk_appeals_feedback_id_feedback_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_appeals_filed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals')),
    sa.UniqueConstraint('feedback_id', name=op.f('uq_appeals_feedback_id'))
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeals_state'), ['state'], unique=False)

    op.create_table('ticket_callbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome in ('satisfied', 'unsatisfied', 'unreachable')", name=op.f('ck_ticket_callbacks_outcome')),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_ticket_callbacks_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_callbacks_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_callbacks'))
    )
    with op.batch_alter_table('ticket_callbacks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_callbacks_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_feedback',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('attached_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attached_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['attached_by_id'], ['users.id'], name=op.f('fk_ticket_feedback_attached_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback_items.id'], name=op.f('fk_ticket_feedback_feedback_id_feedback_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_feedback_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'feedback_id', name=op.f('pk_ticket_feedback')),
    sa.UniqueConstraint('feedback_id', name=op.f('uq_ticket_feedback_feedback_id'))
    )
    op.create_table('ticket_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('response_text', sa.Text(), nullable=True),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verdict', sa.String(length=16), nullable=True),
    sa.Column('verdict_reason', sa.Text(), nullable=False),
    sa.Column('verdict_by_id', sa.Integer(), nullable=True),
    sa.Column('verdict_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.CheckConstraint("verdict is null or verdict in ('verified', 'sent_back')", name=op.f('ck_ticket_rounds_verdict')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['users.id'], name=op.f('fk_ticket_rounds_responded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_rounds_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verdict_by_id'], ['users.id'], name=op.f('fk_ticket_rounds_verdict_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_rounds')),
    sa.UniqueConstraint('ticket_id', 'number', name='uq_ticket_rounds_ticket_number')
    )
    op.create_table('evidence_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('appeal_id', sa.Integer(), nullable=True),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(CASE WHEN round_id IS NULL THEN 0 ELSE 1 END + CASE WHEN appeal_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_evidence_files_one_owner')),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeals.id'], name=op.f('fk_evidence_files_appeal_id_appeals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['ticket_rounds.id'], name=op.f('fk_evidence_files_round_id_ticket_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_evidence_files_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_files')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_evidence_files_stored_name'))
    )
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_files_appeal_id'), ['appeal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_files_round_id'), ['round_id'], unique=False)

    op.create_table('staff_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('dedup_key', sa.String(length=100), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind in ('bad_review', 'new_ticket', 'digest')", name=op.f('ck_staff_alerts_kind')),
    sa.CheckConstraint("status in ('pending', 'sent', 'failed')", name=op.f('ck_staff_alerts_status')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_staff_alerts_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_alerts')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_staff_alerts_dedup_key'))
    )
    with op.batch_alter_table('staff_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_staff_alerts_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_alerts_unit_id'), ['unit_id'], unique=False)

    op.create_table('unit_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_contacts_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_contacts')),
    sa.UniqueConstraint('unit_id', 'email', name='uq_unit_contacts_unit_email')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('unit_contacts')
    with op.batch_alter_table('staff_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_alerts_unit_id'))
        batch_op.drop_index('ix_staff_alerts_due')

    op.drop_table('staff_alerts')
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_files_round_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_files_appeal_id'))

    op.drop_table('evidence_files')
    op.drop_table('ticket_rounds')
    op.drop_table('ticket_feedback')
    with op.batch_alter_table('ticket_callbacks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_callbacks_ticket_id'))

    op.drop_table('ticket_callbacks')
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeals_state'))

    op.drop_table('appeals')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_window_state')
        batch_op.drop_index(batch_op.f('ix_tickets_overdue'))
        batch_op.drop_index(batch_op.f('ix_tickets_opened_at'))
        batch_op.drop_index(batch_op.f('ix_tickets_fix_due'))

    op.drop_table('tickets')
    op.drop_table('office_calendar')
