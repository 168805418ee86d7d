"""Reliability layer: every answer sentence is scored against the passages it cites before it is shown."""

from assistant.reliability.checks import AnswerChecker, CheckResult
from assistant.reliability.support import SupportScorer
from assistant.reliability.verifier import Verdict, Verifier

__all__ = ["AnswerChecker", "CheckResult", "SupportScorer", "Verdict", "Verifier"]
