"""A covert visit refused (dated before its window's listing day, or a field missing) stores none
of its chosen evidence files, and no browser keeps a file input's choice: the page says by the
field which files to choose again."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa

from feedback_api.models import CovertEvidence, CovertInspection, Window


def _post(client, auth, **fields: str):  # type: ignore[no-untyped-def]
    url = "/assessment/covert/new?year=2026"
    data = {"window": "CD-RMYY-001", "notes": "工作人员玩手机", **fields,
            "files": [(io.BytesIO(b"\xff\xd8\xff\xe0photo\xff\xd9"), "现场.jpg"),
                      (io.BytesIO(b"\xff\xd8\xff\xe0photo\xff\xd9"), "柜台.jpg")],
            "csrf_token": auth.csrf_token(url)}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_refused_visits_name_the_files_to_choose_again(client, auth, db, district):
    with db() as s:
        s.scalars(sa.select(Window).where(Window.code == "CD-RMYY-001")).one().listed_on = \
            date(2026, 9, 15)
    auth.login("office")
    for fields, why in (({"inspected_on": "2026-09-10"}, "不能录入挂牌前（2026年9月10日）的暗查"),
                        ({"inspected_on": ""}, "请填写暗查日期")):
        page = _post(client, auth, **fields).get_data(as_text=True)
        assert why in page
        assert "所选证据文件未保存（现场.jpg、柜台.jpg），请改正后重新选择" in page
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CovertInspection)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(CovertEvidence)) == 0
    page = client.get("/assessment/covert/new?year=2026").get_data(as_text=True)
    assert "重新选择" not in page  # a page not refused says nothing of it
