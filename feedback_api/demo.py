"""A demo district: units, windows, one user of each role and a year of realistic feedback."""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from blinker import Namespace

from feedback_api.db import Session, utcnow
from feedback_api.models import Citizen, Feedback, FeedbackAnswer, User, Window
from feedback_api.models.reference import CANDIDATE, DEMONSTRATION
from feedback_api.services import units as unit_service
from feedback_api.services import users as user_service
from feedback_api.services import windows as window_service
from feedback_api.services.citizens import pseudonym_for, pseudonym_for_h5
from feedback_api.services.feedback import LOCAL_TZ

DEMO_UNITS = [
    # code, name, industry, authority, address, window names
    ("CD-SW", "城东区税务局办税服务厅", "tax", "城东区税务局", "城东区人民路 88 号",
     ["综合办税窗口", "发票领用窗口", "社保费缴纳窗口", "个税咨询窗口", "新办企业套餐窗口"]),
    ("CD-RS", "城东区社会保险事业管理中心", "social_security", "城东区人力资源和社会保障局",
     "城东区建设路 12 号", ["养老保险窗口", "医保报销窗口", "失业登记窗口", "社保卡服务窗口",
                           "退休审批窗口"]),
    ("CD-RMYY", "城东区人民医院", "health", "城东区卫生健康局", "城东区健康路 1 号",
     ["门诊挂号收费处", "住院结算窗口", "急诊收费窗口", "检验报告领取处", "医保办窗口"]),
    ("CD-ZYY", "城东区中医院", "health", "城东区卫生健康局", "城东区杏林街 20 号",
     ["门诊挂号窗口", "中药房取药窗口", "住院登记窗口", "体检服务台", "便民服务中心"]),
    ("CD-JT", "城东区公交客运服务中心", "transport", "城东区交通运输局", "城东区站前路 5 号",
     ["公交卡办理窗口", "老年卡服务窗口", "失物招领服务台", "客运售票窗口", "投诉受理窗口"]),
    ("CD-ZW", "城东区政务服务中心", "government_service", "城东区政务服务管理办公室",
     "城东区市民大道 100 号", ["一窗受理综合窗口", "不动产登记窗口", "企业开办窗口",
                              "公积金提取窗口", "帮办代办窗口"]),
    ("CD-GH", "城东支行营业部", "banking", "金融监管城东分局", "城东区金融街 8 号",
     ["个人业务窗口", "对公业务窗口", "贵宾理财窗口", "外汇业务窗口", "社保卡金融窗口"]),
    ("CD-GS", "城东区供水服务中心", "utilities", "城东区住房和城乡建设局", "城东区清泉路 66 号",
     ["水费缴纳窗口", "报装受理窗口", "过户更名窗口", "维修报修窗口", "咨询服务台"]),
]

DEMO_USERS = [
    # username, role, scopes, password, display name
    ("office", "office", [], "office-demo-2026", "区联席办"),
    ("agency", "agency", [], "agency-demo-2026", "第三方测评机构"),
    ("authority-health", "authority", ["health"], "health-demo-2026", "区卫生健康局"),
    ("unit-sw", "unit", ["CD-SW"], "unit-demo-2026", "区税务局办税服务厅"),
    # Each unit's staff answer its own tickets.
    ("unit-rs", "unit", ["CD-RS"], "unit-demo-2026", "区社保中心"),
    ("unit-rmyy", "unit", ["CD-RMYY"], "unit-demo-2026", "区人民医院"),
    ("unit-zyy", "unit", ["CD-ZYY"], "unit-demo-2026", "区中医院"),
    ("unit-jt", "unit", ["CD-JT"], "unit-demo-2026", "区公交客运服务中心"),
    ("unit-zw", "unit", ["CD-ZW"], "unit-demo-2026", "区政务服务中心"),
    ("unit-gh", "unit", ["CD-GH"], "unit-demo-2026", "城东支行营业部"),
    ("unit-gs", "unit", ["CD-GS"], "unit-demo-2026", "区供水服务中心"),
    ("expert", "expert", [], "expert-demo-2026", "评审专家"),
]

POSITIVE = [
    "工作人员态度很好，耐心解答问题", "办事效率高，十分钟就办完了", "一次性告知所需材料，没有白跑",
    "环境干净整洁，有饮水机和老花镜", "不用排队，预约以后直接办理", "窗口人员业务熟练，解释得很清楚",
    "帮办代办很贴心，老人家也能办", "没等多久，服务热情", "首问负责，问一个人就全办好了",
    "办事指南公开透明，一看就懂", "点赞", "非常满意，谢谢", "服务周到，给你们点个赞",
    "自助机旁边有人指导，很方便", "停车方便，还有无障碍通道", "叫号有序，不拥挤",
    "小姑娘很耐心，教我用手机办理", "没有刁难，材料齐全当场就办结了",
]
NEGATIVE = [
    "排队等了两个小时，窗口只开了一个", "工作人员态度冷淡，问两句就不耐烦",
    "材料说了三次都没说全，跑了好几趟",
    "叫号系统经常出错，过号了也没人管", "空调坏了，大厅里太热", "解释不清楚，问了也说不知道",
    "午休时间窗口全关了，等到下午", "停车位太少，绕了半天", "办事指南和实际要求不一样",
    "太慢了", "工作时间玩手机，让群众等着", "说系统故障让明天再来", "电话一直打不通",
    "真是“高效”啊，等了三个小时", "态度还行，就是太慢", "老人不会用自助机，也没人帮忙",
    "暗示找中介能快点办，感觉不正常", "收费标准没有公示，多收了钱",
]
NEUTRAL = ["还可以", "一般般吧", "基本满意，希望再快一点", "总体不错，就是人有点多", "还行"]
#: The first three windows of each unit hold the title: the office's award of this year, in the
#: words the award writes (``services.cycle.award``).
AWARD_YEAR, AWARDED_ON = 2026, "2026-01-15"
AWARD_REASON = f"{AWARD_YEAR}年度评审命名（公示期 2026-01-05 至 2026-01-14）"


def first_listing_day(today: date) -> date:
    """The demo's first listing day (挂牌): the month about 400 days before ``today``, so before
    its year of ratings, and never after the titles' award (a title goes to a listed window)."""
    award = date.fromisoformat(AWARDED_ON)
    return min(today - timedelta(days=400), award - timedelta(days=60)).replace(day=1)


@dataclass
class DemoResult:
    units: int = 0
    windows: int = 0
    feedback_added: int = 0
    users: list[tuple[str, str, str]] = field(default_factory=list)

    def describe(self) -> str:
        lines = [
            f"示范区已就绪：{self.units} 个单位，{self.windows} 个窗口，"
            f"本次新增 {self.feedback_added} 条评价。",
            "演示账号（用户名 / 密码 / 角色）：",
        ]
        lines += [f"  {u} / {p} / {r}" for u, p, r in self.users]
        return "\n".join(lines)


def seed_demo(*, feedback_per_window: int = 120, seed: int = 2026) -> DemoResult:
    """Create or complete the demo district; running it again adds nothing twice."""
    rng = random.Random(seed)
    result = DemoResult()
    windows: list[Window] = []
    units = [unit_service.ensure_unit(None, name=name, code=code, industry=industry,
                                      authority=authority, address=address, contact_person="王主任",
                                      contact_phone="0571-8800" + code[-2:])
             for code, name, industry, authority, address, _names in DEMO_UNITS]
    result.units = len(units)

    for username, role, scopes, password, display in DEMO_USERS:
        if Session.scalar(sa.select(User.id).where(User.username == username)) is None:
            user_service.create_user(None, username, role=role, password=password, scopes=scopes,
                                     display_name=display)
        result.users.append((username, password, display))
    # The office registers the windows from the units' ledger and awards the titles.
    office = user_service.get_user("office")
    # Listed (挂牌) before the year of ratings below, as a period assesses only the windows listed
    # before its end: the titled ones first, the others a week apart after them. They are entered
    # today, as an office's ledger imported late is.
    first_listed = first_listing_day(utcnow().astimezone(LOCAL_TZ).date())

    for unit, (_code, _name, _industry, _authority, address, window_names) in zip(
            units, DEMO_UNITS, strict=True):
        code = unit.code
        for i, wname in enumerate(window_names, start=1):
            wcode = f"{code}-{i:03d}"
            window = Session.scalars(sa.select(Window).where(Window.code == wcode)).first()
            if window is None:
                window = window_service.create_window(office, {
                    "code": wcode, "name": wname, "unit": unit.code,
                    "address": f"{address} 一楼 {i} 号窗口",
                    "service_items": "\n".join(["业务咨询", wname.replace("窗口", "") + "办理"]),
                    "staff_count": rng.randint(2, 8),
                    "contact_person": rng.choice(["李敏", "张伟", "陈静", "刘洋", "赵磊"]),
                    "contact_phone": f"0571-8{rng.randint(1000000, 9999999)}",
                    "service_hours": "工作日 8:30-12:00，13:30-17:30",
                    "status": CANDIDATE, "status_date": "", "status_year": "",
                    "listed_on": (first_listed + timedelta(days=7 * min(i - 1, 4))).isoformat(),
                }, via="import")
                if i <= 3:
                    window_service.update_window(office, wcode, {
                        "status": DEMONSTRATION, "status_year": AWARD_YEAR,
                        "status_date": AWARDED_ON, "status_reason": AWARD_REASON}, via="award")
            windows.append(window)
    result.windows = len(windows)

    from feedback_api.demo_cycle import seed_cycle_demo

    seed_cycle_demo(utcnow().astimezone(LOCAL_TZ).year)

    already = Session.scalar(
        sa.select(sa.func.count()).select_from(Feedback).where(Feedback.source_msg_id.like("demo:%"))
    )
    if not already and feedback_per_window > 0:
        result.feedback_added = _seed_feedback(rng, windows, feedback_per_window)
    return result


#: ``send(None, openids={citizen_id: (openid, last message)})``: the demo's WeChat citizens, for a
#: citizen channel (subscribed in the composition root) to keep their contact, so that answers to
#: them are queued as to any WeChat citizen. The core keeps pseudonyms only.
wechat_citizens = Namespace().signal("demo-wechat-citizens")


def demo_openid(n: int) -> str:
    """A fake openid shaped like WeChat's (28 characters, "o" then URL-safe base64)."""
    digest = hashlib.sha256(f"window-watch demo citizen {n}".encode()).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode()[:27]


def _citizen(pseudonym: str) -> int:
    cid = Session.scalar(sa.select(Citizen.id).where(Citizen.pseudonym == pseudonym))
    if cid is None:
        citizen = Citizen(pseudonym=pseudonym)
        Session.add(citizen)
        Session.flush()
        cid = citizen.id
    return cid


def _seed_feedback(rng: random.Random, windows: list[Window], per_window: int,
                   now: datetime | None = None) -> int:
    # WeChat citizens (an openid each) and H5 citizens (a browser each) apart, as in real use.
    openids = [demo_openid(n) for n in range(max(50, len(windows) * per_window // 4))]
    wechat_ids = [_citizen(pseudonym_for(o)) for o in openids]
    h5_ids = [_citizen(pseudonym_for_h5(f"demo-browser-{n:06d}")) for n in range(len(openids))]
    now = (now or datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ)
    today = now.date()
    rows = []
    seq = 0
    for window in windows:
        quality = rng.uniform(0.55, 0.95)
        for _ in range(per_window):
            seq += 1
            day = today - timedelta(days=rng.randint(0, 364))
            if day.weekday() >= 5 and rng.random() < 0.8:
                day -= timedelta(days=day.weekday() - 4)
            at = datetime.combine(day, time(8, 30), tzinfo=LOCAL_TZ) + timedelta(
                minutes=rng.randint(0, 540))
            if at > now:  # later today: a week earlier instead, never from the future
                at -= timedelta(days=7)
            rating = _rating(rng, quality)
            text = None
            if rng.random() < 0.6:
                pool = POSITIVE if rating >= 4 else NEGATIVE if rating <= 2 else NEUTRAL
                text = rng.choice(pool)
            who = rng.randrange(len(openids))  # drawn before the channel, as it always was
            channel = "wechat" if rng.random() < 0.85 else "h5"
            rows.append({
                "receipt_no": f"PJ{at:%Y%m%d}-D{seq:05d}",
                "window_id": window.id,
                "citizen_id": wechat_ids[who] if channel == "wechat" else h5_ids[who],
                "channel": channel,
                "rating": rating,
                "text": text,
                "received_at": at.astimezone(utcnow().tzinfo),
                "source_msg_id": f"demo:{seq}",
                "review_state": "valid" if at.date() < today - timedelta(days=14) else "pending",
            })
    Session.execute(sa.insert(Feedback), rows)
    Session.flush()
    openid_of, last = dict(zip(wechat_ids, openids, strict=True)), {}
    for row in rows:
        cid = row["citizen_id"]
        if row["channel"] == "wechat" and (cid not in last or last[cid][1] < row["received_at"]):
            last[cid] = (openid_of[cid], row["received_at"])
    from feedback_api.demo_tickets import seed_tickets

    seed_tickets(rng)
    _seed_answers(rng)
    # After the demo's past: its answers queued nothing; what staff do next reaches the citizen.
    wechat_citizens.send(None, openids=last)
    return len(rows)


ANSWERS = [
    "已核实情况，对窗口人员进行了批评教育，并组织服务规范培训。感谢您的监督！",
    "高峰时段已增开一个窗口，并安排导办人员引导分流。",
    "已在窗口张贴一次性告知清单，材料要求可在官网查询。",
    "叫号系统已报修并完成检修，给您带来不便深表歉意。",
]


def _seed_answers(rng: random.Random) -> None:
    """Answers to most reviewed complaints with an opinion not answered yet (a verified ticket
    answers its own), as the agency relayed them in the past (stored, not queued)."""
    agency = Session.scalar(sa.select(User.id).where(User.role == "agency").order_by(User.id))
    complaints = Session.execute(
        sa.select(Feedback.id, Feedback.received_at)
        .where(Feedback.source_msg_id.like("demo:%"), Feedback.rating <= 2,
               Feedback.text.is_not(None), Feedback.review_state == "valid",
               Feedback.id.not_in(sa.select(FeedbackAnswer.feedback_id)))
        .order_by(Feedback.id)).all()
    answers = [{"feedback_id": fid, "author_id": agency, "text": rng.choice(ANSWERS),
                "created_at": at + timedelta(days=rng.randint(1, 5))}
               for fid, at in complaints if rng.random() < 0.7]
    if answers:
        Session.execute(sa.insert(FeedbackAnswer), answers)


def _rating(rng: random.Random, quality: float) -> int:
    r = rng.random()
    if r < quality * 0.7:
        return 5
    if r < quality:
        return 4
    if r < quality + (1 - quality) * 0.4:
        return 3
    if r < quality + (1 - quality) * 0.75:
        return 2
    return 1


__all__ = ["DemoResult", "seed_demo"]
