"""Reliability layer: every answer sentence is scored against the passages it cites before it is shown."""

from .checks import AnswerChecker, CheckResult
from .support import SupportScorer
from .verifier import Verdict, Verifier

__all__ = ["AnswerChecker", "CheckResult", "SupportScorer", "Verdict", "Verifier"]
