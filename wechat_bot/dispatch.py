"""A handler registry by message type and event (after WeRoBot's ``@robot.text``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from feedback_api.services.citizens import CitizenRef
from wechat_bot.config import WechatSettings
from wechat_bot.conversation import Conversation
from wechat_bot.protocol import InboundMessage

Handler = Callable[["Context"], str]


@dataclass
class Context:
    """What a handler sees: the message, the citizen (for interactive types) and settings."""

    message: InboundMessage
    settings: WechatSettings
    now: datetime
    #: The citizen, for interactive messages.
    citizen: CitizenRef | None = None
    #: The citizen's conversation (each change is written at once, in the message's transaction).
    conversation: Conversation | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def citizen_id(self) -> int | None:
        return self.citizen.id if self.citizen is not None else None

    @property
    def source_msg_id(self) -> str | None:
        """A stable id for record_feedback: ``wx:<MsgId>``."""
        return f"wx:{self.message.msg_id}" if self.message.msg_id else None


class Dispatcher:
    def __init__(self) -> None:
        self._messages: dict[str, Handler] = {}
        self._events: dict[str, Handler] = {}
        self.default_message: Handler = lambda ctx: ""
        self.default_event: Handler = lambda ctx: ""

    def message(self, *types: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            for t in types:
                self._messages[t] = fn
            return fn
        return register

    def event(self, *names: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            for n in names:
                self._events[n] = fn
            return fn
        return register

    def handler_for(self, msg: InboundMessage) -> Handler:
        if msg.is_event:
            return self._events.get(msg.event, self.default_event)
        return self._messages.get(msg.msg_type, self.default_message)

    def handle(self, ctx: Context) -> str:
        """The reply text; an empty string means "success" (no reply)."""
        return self.handler_for(ctx.message)(ctx)
