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
from types import SimpleNamespace

from sqlalchemy import event

from feedback_api.services import ratelimit
from tests.wechat_bot.conftest import WechatTester

OPENID = "oStatements000000000000000001"

#: Statements of one message in plain mode, by engine. SQLite begins with BEGIN IMMEDIATE, after
#: setting its busy timeout when the connection's last transaction needed another (the first
#: message after other work; the retry's read); PostgreSQL begins with one statement setting
#: its lock and statement timeouts. A retry runs once, fails at commit on the log's unique
#: key, and reads the stored reply. A first scan inserts the citizen's conversation, then
#: writes the chosen window into it (one statement more than an ORM flush, which folded the two
#: into the INSERT, but no flush: the unit of work cost more than the statement).
PLAIN = {
    "sqlite": {"first scan": 13, "rating": 9, "opinion": 8, "retry": 10, "scan": 8},
    "postgresql": {"first scan": 12, "rating": 9, "opinion": 8, "retry": 8, "scan": 7},
}
#: Safe mode remembers no signed query (msg_signature covers the body): plain mode keeps it in
#: the log's row, which costs nothing more, but a retry (or a reused query) reads it.
SAFE_SAVES = {"first scan": 0, "rating": 0, "opinion": 0, "retry": 1, "scan": 0}


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
    n = PLAIN[app.extensions["ww_engine"].dialect.name][kind]
    return n - SAFE_SAVES[kind] if mode == "safe" else n


def test_statements_per_message(app, wechat: WechatTester, district, mode, monkeypatch) -> None:
    # The rate limits forget old counters on one message in 50, at random: not on these.
    monkeypatch.setattr(ratelimit, "secrets", SimpleNamespace(randbelow=lambda _n: 1))
    app.extensions["ww_engine"].dispose()  # one pooled connection, fresh: the messages'
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
