"""What the pipeline says about one opinion, and how the citizen's rating joins the text's
sentiment (in logit space, so a rating moves an unsure text more than a sure one)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .linear import logit, sigmoid

RATING_WEIGHT = 1.0  # logit units per rating step away from 3


@dataclass
class AnalysisResult:
    """What the pipeline says about one opinion."""

    text: str
    sentiment: float
    topics: list[tuple[str, float]]
    keywords: list[str]
    masked: str
    flags: list[str]
    model_version: str
    tokens: list[str] = field(default_factory=list, repr=False)
    text_sentiment: float | None = field(default=None, repr=False)
    #: How unsure the model is of this opinion, 0 (sure) to 1: the larger of the sentiment's binary
    #: entropy (calibrated text probability; 1 without text signal) and the topics' closeness to their
    #: thresholds. The review queue can be sorted by it (most informative corrections first).
    uncertainty: float = 0.0

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "sentiment": round(self.sentiment, 4),
            "topics": [{"topic": t, "confidence": round(c, 4)} for t, c in self.topics],
            "keywords": list(self.keywords),
            "masked": self.masked,
            "flags": list(self.flags),
            "model_version": self.model_version,
            "uncertainty": round(self.uncertainty, 4),
        }


def rating_logit(rating: int | None) -> float | None:
    """Evidence (in logit units) carried by a 1-5 rating; None when absent or invalid."""
    if rating is None or isinstance(rating, bool):
        return None
    try:
        r = int(rating)
    except (TypeError, ValueError):
        return None
    if not 1 <= r <= 5:
        return None
    return RATING_WEIGHT * (r - 3)


def combine(p_text: float | None, rating: int | None) -> float:
    """Combine text sentiment with the citizen's rating in logit space."""
    r = rating_logit(rating)
    if p_text is None:
        return 0.5 if r is None else sigmoid(r)
    if r is None:
        return p_text
    return sigmoid(logit(p_text) + r)
