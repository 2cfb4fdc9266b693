"""Two requests ending the same account's sessions at once: each one's bump counts. The office's
reset read the account before the user's own password change committed, and commits after it:
the session the user's change signed in anew must end with the reset, as every other does
(a version bumped in Python from what each request read would give both the same number)."""

import threading

import pytest

from feedback_api.db import Session
from feedback_api.services import user_edits, users


def test_a_reset_committed_after_an_own_change_ends_the_session_that_change_kept(app, db,
                                                                                 district):
    if app.extensions["ww_engine"].dialect.name == "sqlite":
        pytest.skip("SQLite refuses the stale writer outright (database is locked): no lost bump")
    loaded, go, done = threading.Event(), threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def office_reset() -> None:
        try:
            with app.app_context():
                target = users.get_user("unit")
                target.session_version  # noqa: B018 - read before the user's change commits
                loaded.set()
                go.wait(30)
                users.set_password(users.get_user("office"), target, "office-reset-2026",
                                   must_change=True)
                Session.commit()
        except BaseException as exc:  # reported by the test's thread
            failure.append(exc)
        finally:
            Session.remove()
            done.set()

    thread = threading.Thread(target=office_reset)
    thread.start()
    assert loaded.wait(30)
    with app.app_context():
        user = users.get_user("unit")
        user_edits.change_own_password(user, "unit-password", "my-own-2026-pw", "my-own-2026-pw")
        Session.commit()
        kept = user.get_id()  # what the web signs the changing session in anew with
        assert users.load_session_user(kept) is not None  # the change keeps its own session
        Session.remove()
    go.set()
    assert done.wait(60)
    thread.join()
    assert failure == []
    with app.app_context():
        assert users.load_session_user(kept) is None  # the reset after it ended it
        assert users.get_user("unit").must_change_password
        Session.remove()
