"""admin_web: the Chinese web UI, and the composition root of the platform (admin_web.app).

One module per feature, each with its own blueprint ``bp``: ``auth`` (sign-in), ``home``,
``windows``, ``feedback``, ``audit``, ``tickets``, ``appeals``, ``calendar``,
``contacts``, … To add a feature (say tickets):

1. Write ``admin_web/tickets.py`` with ``bp = Blueprint("tickets", __name__)`` and its views.
   Views read through ``feedback_api.services`` (no queries here) and use ``admin_web.common``:
   ``role_required`` / ``actor()`` for access, ``paginate`` for listings (the service takes
   ``page`` and ``per_page`` and returns ``(items, total)``; templates call ``pager(page)``),
   and ``commit_or_flash`` for every change (commit, or roll back and show the service's message).
2. Put its templates in ``admin_web/templates/tickets/`` (extending ``base.html``) and link them
   with ``url_for("tickets.<view>")``.
3. Register it: add ``tickets.bp`` to ``BLUEPRINTS`` in ``admin_web/app.py`` (and its scheduled
   jobs, if any, to ``JOBS`` there; its CLI group to ``CLI_COMMANDS``).
"""
