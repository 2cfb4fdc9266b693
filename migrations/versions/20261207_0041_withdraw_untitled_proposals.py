"""delisting proposals of untitled windows withdrawn; a confirmed proposal no longer takes its
window, year and rule for good; new-ticket alerts may be withdrawn

Data: proposals still open (待确认) on windows that no longer hold the title (示范) were left
open before 0040's rule that a window leaving the title withdraws its open proposals. They are
withdrawn (无需处理) with the note ``services.window_status.record`` writes, and audited as the
service audits it (actor "system").

Schema: at most one undecided proposal (open, dismissed, withdrawn) per window, year and rule, a
partial unique index instead of the unique constraint: a confirmed one is history, and a window
titled again after it is judged again on the records after its new title. ``staff_alerts`` may
be ``withdrawn``: a new ticket's alert to a unit the ticket was transferred away from before
it was sent.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07 13:00:00

"""
from datetime import datetime, UTC
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0041'
down_revision: Union[str, Sequence[str], None] = '0040'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_UNDECIDED = "state <> 'confirmed'"
_OLD_ALERT_STATES = "status in ('pending', 'sent', 'failed')"
_NEW_ALERT_STATES = "status in ('pending', 'sent', 'failed', 'withdrawn')"
# The service's note (window_status.record), in SQL: the status's label, the day if any, the
# reason (its first 200 characters) if any.
_NOTE = (
    "'窗口已' || CASE WHEN w.status_date IS NULL THEN '' "
    "ELSE '于 ' || CAST(w.status_date AS VARCHAR(10)) || ' ' END || '改为' || "
    "CASE w.status WHEN 'candidate' THEN '创建中' WHEN 'delisted' THEN '摘牌' ELSE w.status END || "
    "CASE WHEN COALESCE(w.status_reason, '') = '' THEN '' "
    "ELSE '（' || SUBSTR(w.status_reason, 1, 200) || '）' END || '，不再持有称号，本建议无需处理'")

_audit = sa.table(
    'audit_log', sa.column('user_id', sa.Integer), sa.column('actor', sa.String),
    sa.column('action', sa.String), sa.column('entity_type', sa.String),
    sa.column('entity_id', sa.String), sa.column('before', sa.JSON), sa.column('after', sa.JSON),
    sa.column('created_at', sa.DateTime(timezone=True)))


def _withdraw_untitled() -> None:
    conn = op.get_bind()
    found = conn.execute(sa.text(
        f"SELECT p.id, p.decision_note, {_NOTE} FROM delisting_proposals p "
        "JOIN windows w ON w.id = p.window_id "
        "WHERE p.state = 'open' AND w.status <> 'demonstration' ORDER BY p.id")).all()
    if not found:
        return
    now = datetime.now(UTC)
    for pid, _before, note in found:
        conn.execute(sa.text(
            "UPDATE delisting_proposals SET state = 'withdrawn', decision_note = :note, "
            "decided_by = NULL, decided_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP "
            "WHERE id = :id"), {"id": pid, "note": note[:2000]})
    op.bulk_insert(_audit, [
        {"user_id": None, "actor": "system", "action": "withdraw",
         "entity_type": "delisting_proposal", "entity_id": str(pid),
         "before": {"decision_note": before, "state": "open"},
         "after": {"decision_note": note[:2000], "state": "withdrawn"}, "created_at": now}
        for pid, before, note in found])


def upgrade() -> None:
    """Upgrade schema."""
    _withdraw_untitled()
    # On SQLite a rebuild of each table (migrations/env.py keeps foreign keys off).
    with op.batch_alter_table('delisting_proposals', schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint('uq_delisting_proposals_window_rule', type_='unique')
    op.create_index('uq_delisting_proposals_undecided', 'delisting_proposals',
                    ['window_id', 'year', 'rule'], unique=True,
                    sqlite_where=sa.text(_UNDECIDED), postgresql_where=sa.text(_UNDECIDED))
    with op.batch_alter_table('staff_alerts', schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f('ck_staff_alerts_status'), type_='check')
        batch_op.create_check_constraint('status', _NEW_ALERT_STATES)


def downgrade() -> None:
    """Downgrade schema: the withdrawn proposals stay withdrawn (0040 allows it; what they were
    waiting for is gone either way). A withdrawn alert becomes a failed one (never sent, not
    retried). Refused while a window, year and rule has two proposals (a confirmed one and a
    later one): the old unique constraint cannot hold both, and neither is dropped silently."""
    twice = op.get_bind().execute(sa.text(
        "SELECT w.code, p.year, p.rule FROM delisting_proposals p "
        "JOIN windows w ON w.id = p.window_id GROUP BY w.code, p.year, p.rule "
        "HAVING count(*) > 1 ORDER BY w.code, p.year, p.rule")).all()
    if twice:
        raise RuntimeError(
            "cannot downgrade below 0041: these windows have two delisting proposals of one year "
            "and rule (a confirmed one and one after a new title); decide what to keep first: "
            + ", ".join(f"{code} {year} rule {rule}" for code, year, rule in twice))
    op.execute("UPDATE staff_alerts SET status = 'failed' WHERE status = 'withdrawn'")
    with op.batch_alter_table('staff_alerts', schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f('ck_staff_alerts_status'), type_='check')
        batch_op.create_check_constraint('status', _OLD_ALERT_STATES)
    op.drop_index('uq_delisting_proposals_undecided', table_name='delisting_proposals')
    with op.batch_alter_table('delisting_proposals', schema=None, recreate="auto") as batch_op:
        batch_op.create_unique_constraint('uq_delisting_proposals_window_rule',
                                          ['window_id', 'year', 'rule'])
