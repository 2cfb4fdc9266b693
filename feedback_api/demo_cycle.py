"""The demo district's programme year: a few submissions in each state, an expert's scores,
a published good practice; only when the year does not exist yet."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Cycle
from feedback_api.services import cycle as cycle_service
from feedback_api.services import users as user_service


def seed_cycle_demo(year: int) -> None:
    if Session.scalar(sa.select(Cycle.id).where(Cycle.year == year)) is not None:
        return
    office = user_service.get_user("office")
    health = user_service.get_user("authority-health")
    expert = user_service.get_user("expert")
    cycle = cycle_service.create_cycle(office, year)
    # Submitted in the recommendation phase, as they would have been: not late.
    on_time = datetime(year, 5, 20, 2, 0, tzinfo=UTC)

    def recommend(code: str, reasons: str) -> object:
        return cycle_service.save_draft(health, cycle, "recommendation", {
            "window": code, "reasons": reasons, "features": "预约诊疗、一站式结算",
            "self_assessment": "对照测评标准逐项自评，服务态度、效率、环境均达标", "self_score": "90",
            "contact_person": "卫健局医政科", "contact_phone": "0571-88000000",
            "endorsement": "经研究，同意推荐"})

    accepted = recommend("CD-RMYY-004", "报告领取零等待")
    cycle_service.submit(health, accepted, now=on_time)
    cycle_service.accept(office, accepted)
    cycle_service.assign_expert(office, accepted, expert)
    # 88 % of every indicator's points: a total of 88.
    standard = cycle_service.scoring_standard(cycle)
    cycle_service.score(expert, accepted, {i.name: round(i.weight * 0.88, 2) for i in standard.indicators},
                        comment="材料完整，特色突出")
    returned = recommend("CD-ZYY-004", "体检预约便捷")
    cycle_service.submit(health, returned, now=on_time)
    cycle_service.return_submission(office, returned, "请补充近一年群众评价情况")
    recommend("CD-ZYY-005", "便民服务")  # a draft
    practice = cycle_service.save_draft(health, cycle, "good_practice", {
        "window": "CD-RMYY-001", "practice_kind": "method", "title": "“首问负责”挂号工作法",
        "text": "首位接待的工作人员负责到底，一次告知、一次办结。"})
    cycle_service.submit(health, practice, now=on_time)
    cycle_service.accept(office, practice)
    cycle_service.publish_good_practice(office, practice)
