"""Further channels for staff alerts, beside e-mail: the core's hook.

``alerts`` sends ``queued`` with each alert it queues (a 差评, a new ticket, a digest), in the
caller's transaction; a channel the composition root connects (WeChat template messages to the
unit's bound staff) queues its own messages there, so they exist with the alert or not at all.
``withdrawn`` is sent with an alert withdrawn before it was sent (its ticket transferred away):
the channel withdraws the copies it has not sent either.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: ``send(alert)`` with a flushed ``StaffAlert``; receivers return what they queued (a count).
queued = _signals.signal("staff-alert-queued")
#: ``send(alert)`` with a ``StaffAlert`` just withdrawn (status ``withdrawn``), in the caller's
#: transaction.
withdrawn = _signals.signal("staff-alert-withdrawn")
