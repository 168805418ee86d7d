"""Calibrated support verdicts: supported / contradicted / not_enough_info, with a 0..1 score.

The signals of assistant/reliability/signals.py are combined by two logistic regressions fitted by
`assistant verifier calibrate` and stored in calibration.json; at run time they are applied with
numpy alone (no scikit-learn).

Why two binary models rather than one multinomial: the pipeline thresholds one number, P(supported),
and a binary model fitted with balanced class weights gives exactly that, calibrated on its own.
Contradiction is rare in the dev sets (95 of 1037 ContractNLI pairs), and "contradicted vs not
enough information" only matters once a claim is already judged unsupported, so it is a second
model fitted on the unsupported examples alone, where its class weights can be balanced without
disturbing the supported decision."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings, VerifierConfig
from assistant.embedding.embedder import Embedder
from assistant.reliability.ce_model import SHIPPED, is_delta
from assistant.reliability.claims import answer_claim
from assistant.reliability.datasets import CONTRADICTED, NEI, SUPPORTED
from assistant.reliability.signals import (
    CrossEncoderScorer,
    Features,
    GeneratorJudge,
    SignalExtractor,
)

CALIBRATION = Path(__file__).with_name("calibration.json")
OPTIONAL = ("judge", "nli", "ce")


@dataclass
class Verdict:
    score: float  # calibrated P(supported), 0..1
    label: str  # supported / contradicted / not_enough_info
    features: dict[str, float] = field(default_factory=dict)
    evidence: str = ""  # the evidence sentence the signals were measured against
    contradiction: float = 0.0  # P(contradicted | not supported)


@dataclass(frozen=True)
class LinearModel:
    """A fitted logistic regression over standardised features."""
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def from_json(cls, data: dict) -> "LinearModel":
        return cls(tuple(data["features"]), np.asarray(data["mean"], float), np.asarray(data["scale"], float),
                   np.asarray(data["coef"], float), float(data["intercept"]))

    def to_json(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(), "coef": self.coef.round(6).tolist(),
                "intercept": round(self.intercept, 6)}

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(x) - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(z @ self.coef + self.intercept)))


@dataclass(frozen=True)
class Calibration:
    """One entry of calibration.json's "models": what to compute, and how to combine it."""
    name: str
    supported: LinearModel
    contradicted: LinearModel
    support_threshold: float
    contradiction_threshold: float

    @property
    def features(self) -> tuple[str, ...]:
        return self.supported.features


def add_optional(scorers: dict, features: list[Features], claims: Sequence[str],
                 passages: Sequence[Sequence[str]] | None, question: str | Sequence[str] = "") -> None:
    """features[k].values[name] = each optional scorer's score of claim k: one rule for run time and
    calibration. A scorer that judges answers gets answer_claim(question, claim)."""
    questions = [question] * len(claims) if isinstance(question, str) else list(question)
    for name, scorer in scorers.items():
        texts = [answer_claim(q, c) for q, c in zip(questions, claims)] if scorer.answer_shaped else list(claims)
        evidence = list(passages) if scorer.reads_passages and passages is not None else \
            [f.evidence or " " for f in features]
        for f, s in zip(features, scorer.score(texts, evidence)):
            f.values[name] = float(s)


def load_calibrations(path: str | Path | None = None) -> list[Calibration]:
    path = Path(path or CALIBRATION).expanduser()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Calibration(m["name"], LinearModel.from_json(m["supported"]), LinearModel.from_json(m["contradicted"]),
                            float(m["thresholds"]["supported"]), float(m["thresholds"]["contradicted"]))
                for m in data["models"]]
    except FileNotFoundError:
        raise AssistantError(f"verifier calibration: expected a file at {path}, found none; run "
                             f"`assistant verifier calibrate --out {path}` or point [verifier] calibration at one") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise AssistantError(f"verifier calibration {path}: expected the format `assistant verifier calibrate` "
                             f"writes (models[].supported/contradicted/thresholds), found a problem: {exc!r}; "
                             f"re-run the calibration") from None


def trained_verifier_dir(settings: Settings) -> Path:
    """The verifier's cache: cached dev-set signals for `assistant verifier calibrate`."""
    return settings.generator.cache_path() / "verifier"


class Verifier:
    """Cheap to construct; models load on `warm_up` or first use. Thread-safe loading; scoring is not
    meant to run concurrently on one instance (torch already uses every core)."""

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None,
                 calibration: str | Path | None = None) -> None:
        self.settings = settings or Settings()
        self.config: VerifierConfig = self.settings.verifier
        self.embedder = embedder or Embedder(self.settings.embedding)
        self._calibration_path = calibration or self.config.calibration or None
        self._extractor = SignalExtractor(self.embedder)
        self._calibration: Calibration | None = None
        self._optional: dict = {}
        self._lock = threading.Lock()

    def available(self) -> dict[str, object]:
        """The optional scorers this configuration can use, by feature name."""
        out: dict[str, object] = {}
        if self.config.judge:
            out["judge"] = GeneratorJudge(self.settings.generator)
        if self.config.nli_model:
            out["nli"] = CrossEncoderScorer(self.config.nli_model)
        if self.config.model == "bundled":
            # The package ships its trained cross-encoder in SHIPPED once one passes bench/verify.py's
            # targets; until then "bundled" means the cheap signals alone.
            if is_delta(SHIPPED):
                out["ce"] = CrossEncoderScorer(SHIPPED)
        elif self.config.model != "off":
            out["ce"] = CrossEncoderScorer(Path(self.config.model).expanduser())
        return out

    def warm_up(self) -> None:
        with self._lock:
            if self._calibration is not None:
                return
            available = self.available()
            calibrations = load_calibrations(self._calibration_path)
            # The first stored model whose optional signals are all available here: the richest wins.
            usable = [c for c in calibrations if all(f in available for f in c.features if f in OPTIONAL)]
            if not usable:
                raise AssistantError(f"verifier calibration: expected a model using only the signals available "
                                     f"here ({sorted(available) or 'cheap only'}), found models needing "
                                     f"{[c.features for c in calibrations]}; re-run `assistant verifier calibrate`")
            chosen = usable[0]
            self._optional = {f: available[f] for f in chosen.features if f in OPTIONAL}
            self.embedder.warm_up()
            for scorer in self._optional.values():
                scorer.warm_up()
            self._calibration = chosen

    @property
    def calibration(self) -> Calibration:
        self.warm_up()
        assert self._calibration is not None
        return self._calibration

    @property
    def extractor(self) -> SignalExtractor:
        return self._extractor

    @property
    def optional_scorers(self) -> dict:
        """The model-based signals the chosen calibration uses, by feature name (loaded)."""
        self.warm_up()
        return dict(self._optional)

    @property
    def threshold(self) -> float:
        """Scores at or above this are "supported"."""
        return self.calibration.support_threshold

    def score_matrix(self, claims: Sequence[str], passages: Sequence[str], question: str = "") -> list[list[Verdict]]:
        """verdict[i][j] of claim i against passage j; with a question, each claim is judged as its answer."""
        features = self._extractor.extract(list(claims), [[p] for p in passages], question)
        flat = self.combine([f for row in features for f in row], [c for c in claims for _ in passages],
                            [[p] for _ in claims for p in passages], question)
        n = len(passages)
        return [flat[i * n:(i + 1) * n] for i in range(len(claims))]

    def score_pairs(self, claims: Sequence[str], evidences: Sequence[str | Sequence[str]],
                    question: str | Sequence[str] = "") -> list[Verdict]:
        """verdict of claim k against evidence k (a passage or a list of passages, sentences pooled)."""
        evidences = [[e] if isinstance(e, str) else list(e) for e in evidences]
        return self.combine(self._extractor.extract_pairs(list(claims), evidences, question), list(claims), evidences,
                            question)

    def verify(self, claim: str, evidence: str | Sequence[str]) -> tuple[str, float]:
        verdict = self.score_pairs([claim], [evidence])[0]
        return verdict.label, verdict.score

    def combine(self, features: list[Features], claims: list[str], passages: Sequence[Sequence[str]] | None = None,
                question: str | Sequence[str] = "") -> list[Verdict]:
        """Adds the optional signals the calibration uses, then applies it. `passages[k]` are the passages
        behind features[k] (scorers that read whole passages get them), `question` the question asked."""
        cal = self.calibration
        add_optional(self._optional, features, claims, passages, question)
        if not features:
            return []
        x = np.stack([f.vector(cal.features) for f in features])
        p_support = cal.supported.probability(x)
        p_contra = cal.contradicted.probability(x)
        out = []
        for f, ps, pc in zip(features, p_support, p_contra):
            label = SUPPORTED if ps >= cal.support_threshold else (
                CONTRADICTED if pc >= cal.contradiction_threshold else NEI)
            out.append(Verdict(round(float(ps), 4), label, {k: round(v, 4) for k, v in f.values.items()}, f.evidence,
                               round(float(pc), 4)))
        return out
