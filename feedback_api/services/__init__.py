"""Domain services: they validate, change the session and flush; the caller commits."""
