"""Tiny training / PubMedQA data written by the tests themselves (no shared data needed)."""

from __future__ import annotations

import json
from pathlib import Path

PUBMEDQA = {
    "111": {"QUESTION": "Does aspirin reduce fever in adults?",
            "CONTEXTS": ["Fever is common in adults with infections.",
                         "Aspirin lowered body temperature by 1.2 degrees in 80 adults compared with placebo."],
            "LABELS": ["BACKGROUND", "RESULTS"], "LONG_ANSWER": "Aspirin lowered body temperature in adults. "
            "The effect was larger than placebo.", "final_decision": "yes"},
    "222": {"QUESTION": "Does coffee cause hypertension?",
            "CONTEXTS": ["Coffee drinking was recorded for 500 people.",
                         "Blood pressure did not differ between coffee drinkers and non-drinkers."],
            "LABELS": ["METHODS", "RESULTS"], "LONG_ANSWER": "Coffee did not change blood pressure.",
            "final_decision": "no"},
    "333": {"QUESTION": "Is walking linked to better sleep?",
            "CONTEXTS": ["Walkers reported better sleep in some surveys but not others."],
            "LABELS": ["RESULTS"], "LONG_ANSWER": "The evidence on walking and sleep is mixed.",
            "final_decision": "maybe"},
}


def write_pubmedqa(path: Path) -> Path:
    path.write_text(json.dumps(PUBMEDQA))
    return path


def marker_examples(word: str, n: int = 4) -> list[dict]:
    """Short examples whose answer always starts with `word`: a signal strong enough that a few steps
    of training visibly move the model, and two adapters trained on different words answer differently."""
    topics = ["invoices", "warranty", "fever", "sleep", "contracts", "dosage"][:n]
    return [{"question": f"What about {t}?", "contexts": [f"The {t} rule is short.", f"Nothing on {t} here."],
             "answer": f"{word} {word} {word} [1]."} for t in topics]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path
