"""Per-citizen and per-window rate limits on citizens' messages and H5 submissions (issue 16).

Counted in the database (``feedback_api.services.ratelimit``), so every worker shares them:
``WW_CITIZEN_RATE_LIMIT`` per citizen and ``WW_WINDOW_RATE_LIMIT`` per window (all channels
together) per 10 minutes. A refused message is answered politely and nothing of it is stored
but the inbound log's row (which answers WeChat's retries the same way); refused hits are not
counted, so a citizen who waits is let in again. Bursts are also what the agency must see as
possible ballot stuffing; these limits only cap them.
"""

from __future__ import annotations

from feedback_api.services import ratelimit
from wechat_bot.config import settings

WINDOW_SECONDS = 600

TOO_MANY = "您发送得太频繁了，请稍后再试。感谢您对窗口服务的监督！"
TOO_MANY_H5 = "您提交得太频繁了，请稍后再试。感谢您对窗口服务的监督！"


def allow(citizen_pseudonym: str, window_id: int | None) -> bool:
    """Whether the citizen (and the window, when the message is about one) is under its limit;
    if so the hit is counted in the caller's transaction."""
    cfg = settings()
    subjects = [("citizen", citizen_pseudonym)]
    limits = [cfg.citizen_rate_limit]
    if window_id is not None:
        subjects.append(("window", str(window_id)))
        limits.append(cfg.window_rate_limit)
    recent = ratelimit.recent_each(subjects, window=WINDOW_SECONDS)
    if any(hits >= limit for hits, limit in zip(recent, limits, strict=True)):
        return False
    ratelimit.add(subjects)
    return True
