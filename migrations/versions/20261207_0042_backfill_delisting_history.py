"""the title history gains the delistings confirmed before 0040 that it lacks

Data only. 0040 wrote each window's current status as its first history entry, so a window
delisted on a confirmed proposal and titled again before 0040 has no entry of that delisting.
Each confirmed proposal the history lacks gets one (via 'delisting'), recorded at the decision's
time so that the history (ordered by when recorded) reads in order: from the title to 摘牌, the
proposal's year, and the day, reason and actor the confirmation wrote on the window, read from
its audit entry (the window's update in the same unit of work, up to a minute before the
decision); without one, as the service derived them: the decision's local day (callers never
passed another), "<year>年摘牌：<rule>（<summary>）。<note>" and the decider.

Which are lacking: per window and year, the history's entries to 摘牌 stand for the latest
confirmed proposals (0040's entry of a window still delisted is its last delisting; entries since
0040 were written by the service); the earlier ones get an entry. So this adds nothing when run
again. The downgrade keeps the entries: they are true history.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07 15:00:00

"""
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any, Sequence, Union
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0042'
down_revision: Union[str, Sequence[str], None] = '0041'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
# The rules' labels (reference.DELISTING_RULES), for a confirmation without its audit entry.
_RULES = {1: "自然年内三次季度综合检查不合格", 2: "同一督办问题连续三轮未完成整改",
          3: "同一测评指标四次及以上暗查不合格", 4: "发生重大安全事故或造成不良社会影响的事件"}
#: How long before the decision the window's audit entry of the same confirmation may be.
_SAME_WORK = timedelta(minutes=1)

_dt = sa.DateTime(timezone=True)
_proposals = sa.table(
    'delisting_proposals', sa.column('id', sa.Integer), sa.column('window_id', sa.Integer),
    sa.column('year', sa.Integer), sa.column('rule', sa.Integer), sa.column('evidence', sa.JSON),
    sa.column('state', sa.String), sa.column('decided_by', sa.Integer),
    sa.column('decided_at', _dt), sa.column('decision_note', sa.Text))
_windows = sa.table('windows', sa.column('id', sa.Integer), sa.column('code', sa.String))
_users = sa.table('users', sa.column('id', sa.Integer), sa.column('username', sa.String))
_audit = sa.table(
    'audit_log', sa.column('id', sa.Integer), sa.column('user_id', sa.Integer),
    sa.column('actor', sa.String), sa.column('action', sa.String),
    sa.column('entity_type', sa.String), sa.column('entity_id', sa.String),
    sa.column('before', sa.JSON), sa.column('after', sa.JSON), sa.column('created_at', _dt))
_changes = sa.table(
    'window_status_changes', sa.column('window_id', sa.Integer),
    sa.column('from_status', sa.String), sa.column('to_status', sa.String),
    sa.column('status_year', sa.Integer), sa.column('effective_on', sa.Date),
    sa.column('reason', sa.Text), sa.column('user_id', sa.Integer), sa.column('actor', sa.String),
    sa.column('via', sa.String), sa.column('created_at', _dt))


def _utc(value: datetime) -> datetime:
    # SQLite gives the stored UTC time back naive.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _lacking(conn: sa.Connection) -> list[Any]:
    """The confirmed proposals (with window code and decider's name) the history lacks, oldest
    decision first."""
    confirmed = conn.execute(
        sa.select(_proposals, _windows.c.code, _users.c.username)
        .join(_windows, _windows.c.id == _proposals.c.window_id)
        .outerjoin(_users, _users.c.id == _proposals.c.decided_by)
        .where(_proposals.c.state == 'confirmed', _proposals.c.decided_at.is_not(None))
        .order_by(_proposals.c.decided_at, _proposals.c.id)).all()
    held = {(w, y): n for w, y, n in conn.execute(
        sa.select(_changes.c.window_id, _changes.c.status_year, sa.func.count())
        .where(_changes.c.to_status == 'delisted')
        .group_by(_changes.c.window_id, _changes.c.status_year))}
    by_title: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for p in confirmed:
        by_title[(p.window_id, p.year)].append(p)
    lacking = [p for key, found in by_title.items()
               for p in found[:max(0, len(found) - held.get(key, 0))]]
    return sorted(lacking, key=lambda p: (_utc(p.decided_at), p.id))


def _window_audits(conn: sa.Connection, codes: set[str]) -> dict[str, list[Any]]:
    """The audit entries of updates that delisted these windows, by code, oldest first."""
    found: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(
            sa.select(_audit).where(_audit.c.entity_type == 'window', _audit.c.action == 'update',
                                    _audit.c.entity_id.in_(sorted(codes)))
            .order_by(_audit.c.created_at, _audit.c.id)):
        if (row.after or {}).get('status') == 'delisted':
            found[row.entity_id].append(row)
    return found


def _entry(p: Any, audit: Any | None) -> dict[str, Any]:
    decided = _utc(p.decided_at)
    before, after = (audit.before or {}, audit.after or {}) if audit is not None else ({}, {})
    reason = f"{p.year}年摘牌：{_RULES.get(p.rule, f'规则 {p.rule}')}（{(p.evidence or {}).get('summary', '')}）"
    if p.decision_note:
        reason += f"。{p.decision_note}"
    on = after.get('status_date') or decided.astimezone(LOCAL_TZ).date().isoformat()
    return {
        'window_id': p.window_id, 'from_status': before.get('status') or 'demonstration',
        'to_status': 'delisted', 'status_year': p.year,
        'effective_on': datetime.strptime(on, '%Y-%m-%d').date(),
        'reason': after.get('status_reason') or reason,
        'user_id': audit.user_id if audit is not None else p.decided_by,
        'actor': audit.actor if audit is not None else (p.username or 'system'),
        'via': 'delisting', 'created_at': decided}


def upgrade() -> None:
    """Upgrade schema."""
    conn = op.get_bind()
    lacking = _lacking(conn)
    if not lacking:
        return
    audits = _window_audits(conn, {p.code for p in lacking})
    used: set[int] = set()
    rows = []
    for p in lacking:
        decided = _utc(p.decided_at)
        # The latest delisting update of the window within the minute before the decision, of
        # the proposal's year where the entry says.
        match = None
        for a in audits.get(p.code, []):
            at = _utc(a.created_at)
            if (a.id not in used and decided - _SAME_WORK <= at <= decided
                    and (a.after or {}).get('status_year', p.year) == p.year):
                match = a
        if match is not None:
            used.add(match.id)
        rows.append(_entry(p, match))
    op.bulk_insert(_changes, rows)


def downgrade() -> None:
    """Downgrade schema: nothing; the entries are true history, and the upgrade adds none twice."""
