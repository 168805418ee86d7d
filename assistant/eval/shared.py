"""The public dev sets in ../shared/data as EvalItems, by name: `pubmedqa`, `medquad[:COLLECTION,...]`,
`cuad[:N contracts]`, `healthver`, `contractnli`. Read where they lie, never copied.

Document ids match what `assistant ingest` gives the same files, so a KB built from them is judged
directly: PubMedQA by PubMed id, MedQuAD `collection/file#pid`, ContractNLI `contractnli:<id>`, CUAD
`full_contract_txt/<file>.txt` (the folder ingested as a whole)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from assistant.core.errors import AssistantError
from assistant.eval.items import EvalItem
from assistant.reliability import datasets

DATA = datasets.DEFAULT_DATA
NAMES = ("pubmedqa", "medquad", "cuad", "healthver", "contractnli")
# ContractNLI choice → the yes/no a question about the hypothesis expects; NotMentioned is unanswerable.
_NLI_ANSWER = {"Entailment": "yes", "Contradiction": "no"}
# Labels a claim file may use, read as the verifier's: its own, the source datasets' and yes/no.
_VERIFY_LABEL = {"yes": datasets.SUPPORTED, "no": datasets.CONTRADICTED, **{label: label for label in datasets.LABELS},
                 **{k.lower(): v for k, v in {**datasets._HEALTHVER, **datasets._CONTRACTNLI}.items()}}
# CUAD CSV column → README category name, where the two spell it differently.
CUAD_ALIASES = {
    "notice period to terminate renewal": "notice to terminate renewal",
    "rofr/rofo/rofn": "right of first refusal, offer or negotiation (rofr/rofo/rofn)",
    "price restrictions": "price restriction",
    "affiliate license-licensor": "affiliate ip license-licensor",
    "affiliate license-licensee": "affiliate ip license-licensee",
    "unlimited/all-you-can-eat-license": "unlimited/all-you-can-eat license",
}


def need(relative: str) -> Path:
    path = DATA / relative
    if not path.exists():
        raise AssistantError(f"expected the public dev set at {path}, found nothing; the shared datasets live in "
                             f"../shared/data beside the checkout, or pass your own JSONL file to --data")
    return path


def load_named(spec: str, verify: bool = False, embedder=None, cache_dir: Path | None = None) -> list[EvalItem]:
    """`verify`: claim/evidence/label items (healthver, contractnli); otherwise questions. ContractNLI
    claims' evidence is retrieved with `embedder` and cached in `cache_dir` (None: not cached)."""
    name, _, subset = spec.partition(":")
    if name not in NAMES:
        raise AssistantError(f"--data {spec!r}: expected a file or one of {', '.join(NAMES)}, found neither")
    if (verify and name not in ("healthver", "contractnli")) or (not verify and name == "healthver"):
        wanted = "healthver or contractnli (claims with labels)" if verify else "pubmedqa, medquad, cuad or contractnli"
        raise AssistantError(f"--data {name}: expected {wanted} for this evaluation, or your own JSONL file")
    if verify:
        from assistant.reliability.calibrate import load_dataset

        # The datasets' own loaders find the default files (datasets.default_path) and say where they expected them.
        examples = load_dataset(name, None, embedder, cache_dir)
        return [EvalItem(e.id, e.claim, evidence=tuple(e.evidence), label=e.label) for e in examples]
    return {"pubmedqa": pubmedqa, "medquad": medquad, "cuad": cuad, "contractnli": contractnli}[name](subset)


def pubmedqa(_: str = "") -> list[EvalItem]:
    data = json.loads(need("pubmedqa/pqal_dev.json").read_text(encoding="utf-8"))
    return [EvalItem(pmid, " ".join(item["QUESTION"].split()), relevance={pmid: 1.0},
                     answer=" ".join(item["LONG_ANSWER"].split()), label=item["final_decision"].strip().lower())
            for pmid, item in data.items()]


def medquad(collections: str = "") -> list[EvalItem]:
    """Each distinct question, relevant to every answer document carrying it (MedQuAD repeats some)."""
    from assistant.connectors import MedQuADConnector

    root = need("medquad")
    folders = [root / c.strip() for c in collections.split(",")] if collections else \
        sorted(p for p in root.iterdir() if p.is_dir())
    answers: dict[str, list[tuple[str, str]]] = {}  # question → (doc id, answer)
    for folder in folders:
        if not folder.is_dir():
            raise AssistantError(f"medquad:{folder.name}: expected a collection folder under {root}, found none; "
                                 f"e.g. medquad:7_SeniorHealth_QA")
        for d in MedQuADConnector(folder).iter_documents():
            if not isinstance(d, Exception):
                answers.setdefault(d.title, []).append((d.id, d.text.split("\n\n", 1)[-1]))
    return [EvalItem(pairs[0][0], question, relevance={doc: 1.0 for doc, _ in pairs}, answer=pairs[0][1])
            for question, pairs in answers.items()]


def contractnli(_: str = "") -> list[EvalItem]:
    """Per (contract, hypothesis): a yes/no question searched within that contract; "not mentioned"
    is unanswerable (the abstention test); the gold spans are the evidence retrieval should find."""
    data = json.loads(need("contractnli/dev.json").read_text(encoding="utf-8"))
    hypotheses = {k: v["hypothesis"] for k, v in data["labels"].items()}
    items = []
    for doc in data["documents"]:
        for key, note in sorted(doc["annotation_sets"][0]["annotations"].items()):
            spans = tuple(" ".join(doc["text"][a:b].split()) for a, b in (doc["spans"][i] for i in note["spans"]))
            answer = _NLI_ANSWER.get(note["choice"])
            items.append(EvalItem(f"contractnli:{doc['id']}:{key}", f"Does the agreement say that {hypotheses[key]}",
                                  evidence=spans, label=answer, answerable=answer is not None,
                                  scope=(f"contractnli:{doc['id']}",)))
    return items


def cuad_descriptions() -> dict[str, str]:
    """Category name (lower-case) → description, from CUAD_v1_README.txt's category list."""
    text = need("cuad/CUAD_v1_README.txt").read_text(encoding="utf-8", errors="replace")
    out, name = {}, None
    for line in text.splitlines():
        m = re.match(r"\s*(Category|Description):\s*(.+)", line)
        if m and m.group(1) == "Category":
            name = " ".join(m.group(2).split()).lower()
        elif m and name and name != "category (incl. context and answer)":
            out[name] = " ".join(m.group(2).split())
            name = None
    return out


def cuad_rows(contracts: int = 0) -> list[dict[str, str]]:
    """master_clauses.csv rows, by file name, the first `contracts` (0: all): the grounded adapter's
    reader (grounded_legal.cuad_rows), after `need` has said where the file was expected."""
    from assistant.generation.adapters.grounded_legal import cuad_rows as read_rows

    need("cuad/master_clauses.csv")
    return read_rows(DATA)[:contracts or None]


def cuad_clauses(row: dict[str, str], descriptions: dict[str, str]):
    """(column, category description, [clause texts]) for each category labelled in one contract."""
    for column, raw in row.items():
        if column == "Filename" or column.strip().endswith("Answer") or not raw or raw.strip() in ("", "[]"):
            continue
        name = column.strip().lower()
        description = descriptions.get(CUAD_ALIASES.get(name, name))
        if description is not None:
            yield column, description, [" ".join(str(c).split()) for c in ast.literal_eval(raw)]


def cuad(contracts: str = "") -> list[EvalItem]:
    """Per (contract, clause category): the category's description searched within that contract; the
    labelled clause texts are the evidence. `cuad:20` takes the first 20 contracts."""
    descriptions = cuad_descriptions()
    items = []
    for row in cuad_rows(int(contracts or 0)):
        doc = f"full_contract_txt/{row['Filename'].rsplit('.', 1)[0]}.txt"
        for column, description, clauses in cuad_clauses(row, descriptions):
            if any(clauses):
                items.append(EvalItem(f"{doc}::{column}", description, evidence=tuple(c for c in clauses if c),
                                      scope=(doc,)))
    return items


def verify_label(item: EvalItem) -> str:
    """The verifier's label (supported / contradicted / not_enough_info) for a claim item's gold label."""
    label = (item.label or "").strip().lower()
    if label not in _VERIFY_LABEL:
        raise AssistantError(f"claim {item.id}: expected a label among {', '.join(sorted(_VERIFY_LABEL))}, "
                             f"found {item.label!r}; `eval verify` needs a gold label on every claim")
    return _VERIFY_LABEL[label]
