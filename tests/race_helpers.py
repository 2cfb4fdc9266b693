"""Two writers at the same moment: one holds its uncommitted writes while a request arrives."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from feedback_api.db import Session


def request_while_held(app: Any, first: Callable[[], object], second: Callable[[], Any], *,
                       reach: float, wait: float) -> Any:
    """Run ``first`` (a service call that writes) in its own app context and hold it uncommitted
    while ``second`` (a request by another user) starts in another thread; ``reach`` seconds later
    (the request has reached the database and waits there) commit ``first``, and return the
    response ``second`` gives within ``wait`` seconds."""
    held, go = threading.Event(), threading.Event()

    def hold() -> None:
        with app.app_context():
            first()
            held.set()
            go.wait(10)
            Session.commit()

    first_thread = threading.Thread(target=hold)
    first_thread.start()
    assert held.wait(10)
    out: dict[str, Any] = {}
    second_thread = threading.Thread(target=lambda: out.setdefault("resp", second()))
    second_thread.start()
    time.sleep(reach)
    go.set()
    first_thread.join(10)
    second_thread.join(wait)
    return out["resp"]
