"""admin_web: the Chinese web UI, and the composition root of the platform (admin_web.app)."""
