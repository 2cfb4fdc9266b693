"""Window cards: what citizens' channels read of a window on every message, cached briefly."""

import sqlalchemy as sa

from feedback_api.models import Window
from feedback_api.services import window_cards as ws


def test_window_cards_are_cached_and_forgotten_on_change(db, district, app):
    with db() as s:
        card = ws.window_card(code="CD-SW-001")
        assert (card.name, card.unit_name, card.status) == ("综合办税窗口", "城东区税务局办税服务厅", "candidate")
        assert ws.window_card(window_id=card.id) == card
        assert ws.window_card(code="NO-SUCH-1") is None
        # A change made without the ORM (as by another process) shows after the cache time...
        s.execute(sa.update(Window).where(Window.id == card.id).values(name="改名窗口")
                  .execution_options(synchronize_session=False))
        assert ws.window_card(code="CD-SW-001").name == "综合办税窗口"
        app.config["WW_WINDOW_CACHE_SECONDS"] = 0
        try:
            assert ws.window_card(code="CD-SW-001").name == "改名窗口"
        finally:
            app.config["WW_WINDOW_CACHE_SECONDS"] = 10
    with db() as s:
        # ...one made through the ORM in this process at once.
        assert ws.window_card(code="CD-SW-001").name == "改名窗口"
        assert ws.window_card(code="CD-SW-001").status == "candidate"
        s.get(Window, card.id).status = "delisted"
        s.flush()
        assert ws.window_card(code="CD-SW-001").status == "delisted"
