"""Stored opinions are masked again when the masking learns new kinds (issue 12, item 13): what
units read, and the keywords beside it, must not keep what the older masking let through."""

import pytest
import sqlalchemy as sa

from feedback_api.models import Feedback, Window
from feedback_api.services import feedback as fb
from feedback_api.services import opinions


@pytest.fixture
def model_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "models"
    monkeypatch.setitem(app.config, "WW_MODEL_DIR", str(folder))
    return folder


def test_remask_masks_stored_opinions_again_and_only_those_that_change(runner, db, district,
                                                                      model_dir, client, token_for):
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        old = fb.record_feedback(w, citizen=None, channel="h5", rating=1,
                                 text="加我微信号 zhang_san_88，我住幸福路88号，等了三个小时").feedback
        # As the older masking left it: the WeChat ID and the address in the clear.
        opinions.apply_analysis(old, sentiment=0.1, topics=[{"topic": "efficiency", "confidence": 0.9}],
                                keywords=["zhang_san_88", "幸福路", "小时"],
                                masked_text="加我微信号 zhang_san_88，我住幸福路88号，等了三个小时",
                                flags=[], model_version="v1")
        fine = fb.record_feedback(w, citizen=None, channel="h5", rating=5, text="态度很好").feedback
        opinions.apply_analysis(fine, sentiment=0.9, topics=[], keywords=["态度"], masked_text="态度很好",
                                flags=[], model_version="v1")
        old_id, fine_id, fine_at = old.id, fine.id, fine.analyzed_at

    result = runner.invoke(args=["nlp", "remask"])
    assert result.exit_code == 0, result.output
    assert "重新脱敏 1 条" in result.output
    with db() as s:
        item = s.get(Feedback, old_id)
        assert item.masked_text == "加我微信号 [微信号]，我住[地址]，等了三个小时"
        assert not any("zhang" in k or "幸福" in k for k in item.keywords)
        assert item.rating == 1 and item.text.startswith("加我微信号 zhang_san_88")
        assert s.get(Feedback, fine_id).analyzed_at == fine_at  # unchanged, not re-analysed
    unit_view = client.get("/api/v1/feedback?window=CD-SW-001", headers=token_for("unit")).get_json()
    assert not any("zhang_san_88" in (i["text"] or "") for i in unit_view["items"])
    assert "重新脱敏 0 条" in runner.invoke(args=["nlp", "remask"]).output
