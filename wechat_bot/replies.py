"""The Chinese texts the bot replies with: short, friendly, one place to edit them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from feedback_api.models.reference import RATINGS, REVIEW_STATES, label
from feedback_api.services import progress
from wechat_bot.conversation import FeedbackLine


class WindowLike(Protocol):
    """A ``Window`` or the hot path's ``WindowCard``."""

    @property
    def name(self) -> str: ...
    @property
    def unit_name(self) -> str: ...


class Recorded(Protocol):
    """A feedback just recorded (or a line of the citizen's list)."""

    @property
    def receipt_no(self) -> str: ...
    @property
    def rating(self) -> int | None: ...

RATING_GUIDE = (
    "请回复数字评分：\n"
    "5 非常满意　4 满意　3 基本满意\n"
    "2 不满意　　1 非常不满意\n"
    "（也可回复“五”“四”……或“非常满意”等文字）"
)

WELCOME = (
    "您好，欢迎关注文明诚信示范窗口监督平台！\n"
    "在窗口现场扫描窗口二维码，即可为该窗口评分、提意见。\n"
    "回复“查询”可查看您的评价办理进度。"
)

CHOOSE_WINDOW = (
    "请先选择要评价的窗口：\n"
    "· 扫描窗口台面或墙上的评价二维码；\n"
    "· 或直接回复窗口编号（见窗口评价牌，如 CD-SW-001）。\n"
    "回复“查询”可查看您的评价办理进度。"
)

UNSUPPORTED = "暂不支持此类消息。评价请回复 1–5 分，意见建议请直接发送文字或语音。"

RATING_OUT_OF_RANGE = ("评分请回复 1–5 之间的整数：5 非常满意、4 满意、3 基本满意、2 不满意、1 非常不满意。"
                       "有意见建议请直接发送文字或语音。")

VOICE_NOT_RECOGNISED = "抱歉，没有听清您的语音，请再说一遍或改用文字。"

BUSY = "系统繁忙，请稍后再试。"


def greet(window: WindowLike, minutes: int) -> str:
    return (
        f"您好！您正在评价：\n【{window.name}】\n{window.unit_name}\n\n"
        f"{RATING_GUIDE}\n\n"
        "有意见建议，直接发送文字或语音即可，可附图片作为凭证。\n"
        f"本次窗口选择 {minutes} 分钟内有效；回复“查询”可查看办理进度。"
    )


def unknown_window(code: str) -> str:
    return (f"没有找到编号为“{code[:64]}”的窗口，请核对窗口评价牌上的编号，"
            "或重新扫描窗口二维码。")


def delisted_window(window: WindowLike) -> str:
    return (f"“{window.name}”（{window.unit_name}）已被摘除文明诚信示范窗口称号，"
            "暂不通过本平台接受评价。如需反映问题，请拨打 12345 政务服务便民热线。")


def rating_recorded(window: WindowLike, item: Recorded) -> str:
    rating = item.rating or 0
    head = (f"窗口：{window.name}\n评分：{rating} 分（{label(RATINGS, rating)}）\n"
            f"受理编号：{item.receipt_no}")
    if rating <= 2:
        return (
            "很抱歉给您带来不好的体验！\n"
            f"{head}\n\n"
            "请告诉我们哪里做得不好：直接发送文字或语音，也可发送图片作为凭证。"
            "您的投诉将由第三方机构核实并督促整改，处理结果会通过本公众号答复您。"
        )
    return (
        "感谢您的评价！\n"
        f"{head}\n"
        "同一窗口每天以您最后一次评分为准。有意见建议可直接发送文字或语音。"
    )


def opinion_recorded(window: WindowLike, item: Recorded, *, kept: int = 0,
                     left_out: int = 0) -> str:
    """``left_out``: characters beyond the first ``kept`` that were not stored (an opinion is
    stored up to a limit); the citizen is told, so the rest can be sent as another message."""
    cut = (f"您的意见超过 {kept} 字，已记录前 {kept} 字；其余 {left_out} 字请另发一条。\n"
           if left_out else "")
    return (
        "已收到您的意见建议，谢谢！\n"
        f"窗口：{window.name}\n受理编号：{item.receipt_no}\n"
        f"{cut}"
        "我们会尽快核实处理，回复“查询”可查看进度。"
    )


def evidence_recorded(item: Recorded) -> str:
    return f"已收到图片，作为受理编号 {item.receipt_no} 的凭证保存。"


NO_FEEDBACK_FOR_IMAGE = "请先评分或留言，再发送图片作为凭证。"


#: A passive reply holds 2,048 bytes (UTF-8) in WeChat.
REPLY_BYTES = 2048
_NAME_CHARS = 30


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars - 1] + "…"


def _stage_text(item: FeedbackLine) -> str:
    if item.stage in (None, "受理"):
        if item.review_state == "invalid":
            return "不予受理"
        return f"受理（{label(REVIEW_STATES, item.review_state)}）"
    if item.stage == "督办中" and item.round > 1:
        return f"督办中（第{item.round}轮）"
    return item.stage


def _feedback_list(items: list[FeedbackLine], answer_chars: int) -> str:
    lines = ["您最近的评价："]
    for n, item in enumerate(items, 1):
        what = (f"评分 {item.rating} 分（{label(RATINGS, item.rating)}）" if item.rating
                else "意见建议")
        lines.append(f"{n}. {item.receipt_no}　{_cut(item.window_name, _NAME_CHARS)}\n"
                     f"   {what}｜{_stage_text(item)}")
        if item.stage == "待评价" and item.window_code:
            lines.append(f"   问题已整改，请回复 {item.window_code} 后再评分")
        if item.stage == progress.CANCELLED:
            lines.append("   该问题已撤销督办；如问题仍在，欢迎再次扫码评价")
        if item.answer and answer_chars:
            lines.append(f"   单位答复：{_cut(item.answer, answer_chars)}")
    if any(item.stage in progress.STAGES[1:] for item in items):
        lines.append("办理进度：" + "→".join(progress.STAGES))
    return "\n".join(lines)


def feedback_list(items: Iterable[FeedbackLine]) -> str:
    """The citizen's recent feedback with where each stands; shorter answers (or none) when
    five long ones would not fit one passive reply."""
    items = list(items)
    if not items:
        return "您还没有评价记录。扫描窗口二维码即可评价。"
    for answer_chars in (60, 24, 0):
        text = _feedback_list(items, answer_chars)
        if len(text.encode("utf-8")) <= REPLY_BYTES:
            return text
    return text  # five lines of bounded length without answers always fit
