"""Fault drills (issue 16): each breaks one thing for real and checks that nothing accepted is
lost, sends are retried, the platform recovers by itself and /healthz says so meanwhile.

``make drills`` runs them; they are part of the suite too (``make test``)."""

from tests.wechat_bot.conftest import fake_wechat, fake_wechat_server  # noqa: F401  (fixtures)
