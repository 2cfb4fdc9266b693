"""``qrcodes issue`` through the fake WeChat API and printable ``qrcodes posters``."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Window
from wechat_bot.models import WindowQrCode


def qr_rows(app) -> dict[str, WindowQrCode]:
    with app.app_context():
        return {q.scene: q for q in Session.scalars(sa.select(WindowQrCode))}


def test_issue_creates_permanent_string_scene_codes_once(app, runner, district, fake_wechat):
    result = runner.invoke(args=["qrcodes", "issue"])
    assert result.exit_code == 0, result.output
    assert "新生成 4 个二维码" in result.output
    codes = qr_rows(app)
    assert set(codes) == {"CD-SW-001", "CD-SW-002", "CD-RMYY-001", "CD-RMYY-002"}
    assert all(q.ticket.startswith("gQ") and q.url.startswith("http://weixin.qq.com/q/")
               for q in codes.values())
    calls = fake_wechat.state.calls.count("/cgi-bin/qrcode/create")
    result = runner.invoke(args=["qrcodes", "issue"])
    assert result.exit_code == 0 and "新生成 0 个二维码" in result.output
    assert fake_wechat.state.calls.count("/cgi-bin/qrcode/create") == calls


def test_issue_reports_failures_and_a_rerun_issues_only_the_missing(app, runner, district,
                                                                     fake_wechat):
    fake_wechat.fail("/cgi-bin/qrcode/create", times=1, status=500)
    result = runner.invoke(args=["qrcodes", "issue"])
    assert result.exit_code == 1 and "失败 1 个" in result.output
    assert len(qr_rows(app)) == 3
    result = runner.invoke(args=["qrcodes", "issue"])
    assert result.exit_code == 0 and "新生成 1 个二维码" in result.output
    assert len(qr_rows(app)) == 4


def test_issue_skips_delisted_windows(app, runner, district, fake_wechat, db):
    with db() as s:
        s.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one().status = "delisted"
    runner.invoke(args=["qrcodes", "issue"])
    assert "CD-SW-002" not in qr_rows(app)


def test_issue_needs_credentials(app, runner, district, monkeypatch):
    monkeypatch.setitem(app.config, "WW_WECHAT_SECRET", "")
    result = runner.invoke(args=["qrcodes", "issue"])
    assert result.exit_code == 1 and "WW_WECHAT_SECRET" in result.output


def test_posters_per_window_and_per_unit(app, runner, district, fake_wechat, tmp_path):
    runner.invoke(args=["qrcodes", "issue"])
    result = runner.invoke(args=["qrcodes", "posters", "-o", str(tmp_path / "all")])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert files == ["CD-RMYY-001.pdf", "CD-RMYY-002.pdf", "CD-SW-001.pdf", "CD-SW-002.pdf"]
    pdf = (tmp_path / "all" / "CD-SW-001.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
    result = runner.invoke(args=["qrcodes", "posters", "--unit", "CD-SW",
                                 "-o", str(tmp_path / "u")])
    assert result.exit_code == 0 and "2 页" in result.output
    assert (tmp_path / "u" / "CD-SW.pdf").read_bytes().startswith(b"%PDF")
    result = runner.invoke(args=["qrcodes", "posters", "--unit", "NOPE", "-o", str(tmp_path / "x")])
    assert result.exit_code == 1 and "NOPE" in result.output


def test_poster_qr_carries_the_wechat_url_or_the_h5_link(app, district, fake_wechat, runner,
                                                         monkeypatch, tmp_path):
    from wechat_bot import posters

    seen: list[str] = []
    real = posters.qr_image
    monkeypatch.setattr(posters, "qr_image", lambda data: seen.append(data) or real(data))
    runner.invoke(args=["qrcodes", "issue"])
    runner.invoke(args=["qrcodes", "posters", "--unit", "CD-SW", "-o", str(tmp_path)])
    urls = {q.scene: q.url for q in qr_rows(app).values()}
    assert seen == [urls["CD-SW-001"], urls["CD-SW-002"]]
    seen.clear()
    monkeypatch.setitem(app.config, "WW_WECHAT_APPID", "")  # no credentials: the H5 link
    runner.invoke(args=["qrcodes", "posters", "--unit", "CD-SW", "-o", str(tmp_path)])
    assert seen == ["https://ww.example.cn/f/CD-SW-001", "https://ww.example.cn/f/CD-SW-002"]
