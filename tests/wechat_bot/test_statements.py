"""How many SQL statements a WeChat message costs: each is CPU in the web worker (and a round
trip to PostgreSQL), so a change that adds one to the common messages fails here, on purpose.
The counts are exact, so a saving is written down here too; raise one only with a reason in
the commit.

Counted are the statements sent to the database (SQLAlchemy's ``before_cursor_execute``: an
``executemany`` counts once); the commit itself is not a statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from tests.wechat_bot.conftest import WechatTester

OPENID = "oStatements000000000000000001"

#: Statements of one message on SQLite, plain mode: (kind, statements).
SQLITE_PLAIN = {"scan": 11, "rating": 14, "opinion": 13, "retry": 14, "first scan": 16}
#: Safe mode remembers no signed query (msg_signature covers the body).
SAFE_SAVES = {"scan": 2, "rating": 2, "opinion": 2, "retry": 3, "first scan": 2}
#: PostgreSQL begins a message with one statement (its lock and statement timeouts), where
#: SQLite needs three (its busy timeout around BEGIN IMMEDIATE); a retry's second transaction,
#: a read, begins with no statement on PostgreSQL and with BEGIN on SQLite.
POSTGRESQL_SAVES = {"scan": 2, "rating": 2, "opinion": 2, "retry": 3, "first scan": 2}


@contextmanager
def counted(app) -> Iterator[list[str]]:
    statements: list[str] = []

    def note(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(statement)

    engine = app.extensions["ww_engine"]
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def expected(app, mode: str, kind: str) -> int:
    n = SQLITE_PLAIN[kind]
    if mode == "safe":
        n -= SAFE_SAVES[kind]
    if app.extensions["ww_engine"].dialect.name == "postgresql":
        n -= POSTGRESQL_SAVES[kind]
    return n


def test_statements_per_message(app, wechat: WechatTester, district, mode) -> None:
    seen: dict[str, list[str]] = {}

    def send(kind: str, action) -> str:
        with counted(app) as seen[kind]:
            return action()

    send("first scan", lambda: wechat.scan(OPENID, "CD-SW-001"))
    assert "受理编号" in send("rating", lambda: wechat.say(OPENID, "5"))
    opinion = wechat.peer.text(OPENID, "排队时间有点长，希望多开窗口")
    reply = send("opinion", lambda: wechat.send(opinion))
    assert reply is not None and "受理编号" in reply
    # WeChat's retry of the same message: answered as before, nothing stored twice.
    assert send("retry", lambda: wechat.send(opinion)) == reply
    send("scan", lambda: wechat.scan(OPENID, "CD-SW-002"))
    counts = {kind: len(statements) for kind, statements in seen.items()}
    assert counts == {kind: expected(app, mode, kind) for kind in seen}, seen
