"""Opinion analytics: masking, segmentation, topics, sentiment, keywords and flags."""

from .lexicon import TOPICS
from .pipeline import AnalysisResult, Pipeline, analyze, get_pipeline
from .store import activate_version, list_versions

__all__ = ["TOPICS", "AnalysisResult", "Pipeline", "activate_version", "analyze", "get_pipeline",
           "list_versions"]
