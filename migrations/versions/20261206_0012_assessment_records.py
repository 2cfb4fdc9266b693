"""assessment records: standard, inspections, covert inspections, incidents, delisting proposals

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 05:29:23.661797

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('standards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('pass_score', sa.Double(), nullable=False),
    sa.Column('weight_feedback', sa.Double(), nullable=False),
    sa.Column('weight_inspection', sa.Double(), nullable=False),
    sa.Column('weight_covert', sa.Double(), nullable=False),
    sa.Column('weight_tickets', sa.Double(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('pass_score >= 0', name=op.f('ck_standards_pass_score')),
    sa.CheckConstraint('weight_feedback >= 0 and weight_inspection >= 0 and weight_covert >= 0 and weight_tickets >= 0', name=op.f('ck_standards_weights')),
    sa.CheckConstraint('year >= 2000 and year <= 2100', name=op.f('ck_standards_year')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standards')),
    sa.UniqueConstraint('year', name=op.f('uq_standards_year'))
    )
    op.create_table('standard_indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('weight', sa.Double(), nullable=False),
    sa.Column('pass_line', sa.Double(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint('pass_line >= 0 and pass_line <= weight', name=op.f('ck_standard_indicators_pass_line')),
    sa.CheckConstraint('weight > 0', name=op.f('ck_standard_indicators_weight')),
    sa.ForeignKeyConstraint(['standard_id'], ['standards.id'], name=op.f('fk_standard_indicators_standard_id_standards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_indicators')),
    sa.UniqueConstraint('standard_id', 'name', name='uq_standard_indicators_standard_name')
    )
    op.create_table('covert_inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('inspected_on', sa.Date(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('entered_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entered_by'], ['users.id'], name=op.f('fk_covert_inspections_entered_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['standard_id'], ['standards.id'], name=op.f('fk_covert_inspections_standard_id_standards')),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_covert_inspections_window_id_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_covert_inspections'))
    )
    with op.batch_alter_table('covert_inspections', schema=None) as batch_op:
        batch_op.create_index('ix_covert_inspections_window_on', ['window_id', 'inspected_on'], unique=False)

    op.create_table('delisting_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('rule', sa.SmallInteger(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state in ('open', 'confirmed', 'dismissed')", name=op.f('ck_delisting_proposals_state')),
    sa.CheckConstraint('rule >= 1 and rule <= 4', name=op.f('ck_delisting_proposals_rule')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_delisting_proposals_decided_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_delisting_proposals_window_id_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delisting_proposals')),
    sa.UniqueConstraint('window_id', 'year', 'rule', name='uq_delisting_proposals_window_rule')
    )
    with op.batch_alter_table('delisting_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delisting_proposals_state'), ['state'], unique=False)

    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('entered_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind in ('safety', 'social')", name=op.f('ck_incidents_kind')),
    sa.CheckConstraint("severity in ('major', 'general')", name=op.f('ck_incidents_severity')),
    sa.ForeignKeyConstraint(['entered_by'], ['users.id'], name=op.f('fk_incidents_entered_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_incidents_window_id_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_window_on', ['window_id', 'occurred_on'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.SmallInteger(), nullable=False),
    sa.Column('inspected_on', sa.Date(), nullable=False),
    sa.Column('inspectors', sa.String(length=200), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('total', sa.Double(), nullable=False),
    sa.Column('max_total', sa.Double(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('entered_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quarter >= 1 and quarter <= 4', name=op.f('ck_inspections_quarter')),
    sa.ForeignKeyConstraint(['entered_by'], ['users.id'], name=op.f('fk_inspections_entered_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['standard_id'], ['standards.id'], name=op.f('fk_inspections_standard_id_standards')),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_inspections_window_id_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    sa.UniqueConstraint('window_id', 'year', 'quarter', name='uq_inspections_window_quarter')
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index('ix_inspections_year_quarter', ['year', 'quarter'], unique=False)

    op.create_table('covert_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('covert_inspection_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['covert_inspection_id'], ['covert_inspections.id'], name=op.f('fk_covert_evidence_covert_inspection_id_covert_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_covert_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_covert_evidence_stored_name'))
    )
    with op.batch_alter_table('covert_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_covert_evidence_covert_inspection_id'), ['covert_inspection_id'], unique=False)

    op.create_table('covert_results',
    sa.Column('covert_inspection_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['covert_inspection_id'], ['covert_inspections.id'], name=op.f('fk_covert_results_covert_inspection_id_covert_inspections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['standard_indicators.id'], name=op.f('fk_covert_results_indicator_id_standard_indicators')),
    sa.PrimaryKeyConstraint('covert_inspection_id', 'indicator_id', name=op.f('pk_covert_results'))
    )
    op.create_table('inspection_scores',
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['standard_indicators.id'], name=op.f('fk_inspection_scores_indicator_id_standard_indicators')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_scores_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('inspection_id', 'indicator_id', name=op.f('pk_inspection_scores'))
    )
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('main_topic', sa.String(length=32), nullable=True))
    _backfill_main_topic()


def _backfill_main_topic() -> None:
    """The main topic of every opinion analysed or reviewed before the column existed."""
    items = sa.table('feedback_items', sa.column('id', sa.Integer()), sa.column('topics', sa.JSON()),
                     sa.column('reviewed_topics', sa.JSON()),
                     sa.column('main_topic', sa.String(32)))
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(items.c.id, items.c.topics, items.c.reviewed_topics)
            .where(items.c.id > last, sa.or_(items.c.topics.is_not(None),
                                             items.c.reviewed_topics.is_not(None)))
            .order_by(items.c.id).limit(5000)).all()
        if not rows:
            return
        updates = []
        for id_, predicted, reviewed in rows:
            topic = None
            if reviewed and isinstance(reviewed[0], str):
                topic = reviewed[0]
            elif not reviewed and predicted and isinstance(predicted[0], dict):
                topic = predicted[0].get('topic') if isinstance(predicted[0].get('topic'), str) else None
            if topic is not None:
                updates.append({'row_id': id_, 'topic': topic[:32]})
        if updates:
            conn.execute(items.update().where(items.c.id == sa.bindparam('row_id'))
                         .values(main_topic=sa.bindparam('topic')), updates)
        last = rows[-1][0]


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.drop_column('main_topic')
    op.drop_table('inspection_scores')
    op.drop_table('covert_results')
    with op.batch_alter_table('covert_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_covert_evidence_covert_inspection_id'))

    op.drop_table('covert_evidence')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_inspections_year_quarter')

    op.drop_table('inspections')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_window_on')

    op.drop_table('incidents')
    with op.batch_alter_table('delisting_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delisting_proposals_state'))

    op.drop_table('delisting_proposals')
    with op.batch_alter_table('covert_inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_covert_inspections_window_on')

    op.drop_table('covert_inspections')
    op.drop_table('standard_indicators')
    op.drop_table('standards')
