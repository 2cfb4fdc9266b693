"""The agency report's downloads are named as the page and the document name a version: 第 N 稿
(a draft), not 第 N 版, which the assessment uses for its published versions."""

from __future__ import annotations

from urllib.parse import unquote


def test_the_downloads_are_named_by_the_draft(client, auth, district):
    auth.login("agency")
    resp = client.post("/agency-reports/", data={"period": "2026Q3",
                                                 "csrf_token": auth.csrf_token("/agency-reports/")})
    assert resp.status_code == 302
    report = resp.headers["Location"]
    assert "第 1 稿" in client.get(report).get_data(as_text=True)
    for kind in ("docx", "pdf"):
        disposition = unquote(client.get(f"{report}/report.{kind}").headers["Content-Disposition"])
        assert f"（第1稿）.{kind}" in disposition and "版" not in disposition, disposition
