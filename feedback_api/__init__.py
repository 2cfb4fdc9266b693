"""window-watch core: models, database session, domain services and the JSON API."""
