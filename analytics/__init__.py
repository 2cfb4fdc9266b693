"""analytics: NLP, scoring and scheduled jobs, reading and writing through feedback_api."""
