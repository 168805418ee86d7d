"""PHI/PII redaction: exact output on realistic notes and letters, things that must stay, offset remapping."""

from __future__ import annotations

from itertools import pairwise

import pytest

from assistant.core.errors import ConfigError
from assistant.core.types import Document
from assistant.ingest.chunking import SentenceChunker
from assistant.ingest.redaction import (
    TYPES,
    RedactionConfig,
    Redactor,
    merge_counts,
    redact_document,
)

CLINICAL = """DISCHARGE SUMMARY
Patient: Jane A. Doe        MRN: 00123456        DOB: 03/14/1962
Address: 123 Main Street, Springfield, IL 62704
Phone: (555) 123-4567   Alt phone: 555.987.6543   Email: jane.doe@example.com
SSN: 123-45-6789   Insurance ID on file.
Attending: Dr. Robert Smith, MD
cc: Dr. A. Roe; Mary Johnson

HISTORY: 62-year-old woman with type 2 diabetes (ICD-10 E11.9) and Parkinson disease, seen by
Dr. O'Brien in clinic. Date of Birth: March 14, 1962 confirmed. Daughter lives at 42 Elm Ave. Apt 5 and
can be reached at +1 555 123 4567. Admitted 03/15/2024; BP 120/80, HR 72, glucose 110-140 mg/dL.
MEDICATIONS: Metformin 500 mg twice daily (NDC 0115-0672-50). Follow PubMed 12345678 protocol.
Signed: Thomas K. Reed
"""

CLINICAL_REDACTED = """DISCHARGE SUMMARY
Patient: [NAME]        MRN: [MRN]        DOB: [DOB]
Address: [ADDRESS]
Phone: [PHONE]   Alt phone: [PHONE]   Email: [EMAIL]
SSN: [SSN]   Insurance ID on file.
Attending: Dr. [NAME], MD
cc: Dr. [NAME]; [NAME]

HISTORY: 62-year-old woman with type 2 diabetes (ICD-10 E11.9) and Parkinson disease, seen by
Dr. [NAME] in clinic. Date of Birth: [DOB] confirmed. Daughter lives at [ADDRESS] and
can be reached at [PHONE]. Admitted 03/15/2024; BP 120/80, HR 72, glucose 110-140 mg/dL.
MEDICATIONS: Metformin 500 mg twice daily (NDC 0115-0672-50). Follow PubMed 12345678 protocol.
Signed: [NAME]
"""

LEGAL = """March 3, 2024

Ms. Eleanor Vance
Vance & Associates LLP
1600 Pennsylvania Avenue NW, Suite 400
Washington, DC 20500

Re: Estate matter, Medical Record Number 123-456

Dear Ms. Vance:

Our client, Mr. Harold Whitaker (born on 14 March 1948, SSN 219 09 9999), resided at
88 Oak Court, Apt 2B, Dayton, OH 45402 and used PO Box 1234, Austin, TX 78701 for mail.
Please call me at 202-555-0143 ext. 12 or +44 20 7946 0958, or write to counsel@whitaker-law.com.
Under 42 U.S.C. § 1983 and § 12.2 of the Agreement, discovery closes on June 1, 2024 (see pages 123-456).
The 2019 Supreme Court decision in Smith v. Jones, 123 F.3d 456 (9th Cir. 1997), controls.

Sincerely,
/s/ Laura Chen
cc: Daniel Park; File
"""

LEGAL_REDACTED = """March 3, 2024

Ms. [NAME]
Vance & Associates LLP
[ADDRESS]

Re: Estate matter, Medical Record Number [MRN]

Dear Ms. [NAME]:

Our client, Mr. [NAME] (born on [DOB], SSN [SSN]), resided at
[ADDRESS] and used [ADDRESS] for mail.
Please call me at [PHONE] or [PHONE], or write to [EMAIL].
Under 42 U.S.C. § 1983 and § 12.2 of the Agreement, discovery closes on June 1, 2024 (see pages 123-456).
The 2019 Supreme Court decision in Smith v. Jones, 123 F.3d 456 (9th Cir. 1997), controls.

Sincerely,
/s/ [NAME]
cc: [NAME]; File
"""


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(RedactionConfig(enabled=True))


def test_clinical_note_exact(redactor: Redactor) -> None:
    result = redactor.redact(CLINICAL)
    assert result.text == CLINICAL_REDACTED
    assert result.counts == {"email": 1, "ssn": 1, "mrn": 1, "dob": 2, "phone": 3, "address": 2, "name": 6}
    assert list(result.counts) == [t for t in TYPES if t in result.counts]  # canonical order


def test_legal_letter_exact(redactor: Redactor) -> None:
    result = redactor.redact(LEGAL)
    assert result.text == LEGAL_REDACTED
    assert result.counts == {"email": 1, "ssn": 1, "mrn": 1, "dob": 1, "phone": 2, "address": 3, "name": 5}


@pytest.mark.parametrize("text, expected", [
    ("Reach me at jane.o'neil+notes@mail.example.co.uk today", "Reach me at [EMAIL] today"),
    ("Write to 'jo@example.org' or mailto:al@example.org.", "Write to '[EMAIL]' or mailto:[EMAIL]."),
    ("Call (555) 123-4567.", "Call [PHONE]."),
    ("Call 555-123-4567 or 555.123.4567", "Call [PHONE] or [PHONE]"),
    ("Call +1 555 123 4567, +1-555-123-4567 or +1 (555) 123-4567", "Call [PHONE], [PHONE] or [PHONE]"),
    ("Toll free 1-800-555-1234 ext. 22", "Toll free [PHONE]"),
    ("London +44 20 7946 0958; Paris +33 1 23 45 67 89", "London [PHONE]; Paris [PHONE]"),
    ("Tel. No.: 020 7946 0958  Fax #: 555 1234", "Tel. No.: [PHONE]  Fax #: [PHONE]"),
    ("SSN 123-45-6789 and 123 45 6789", "SSN [SSN] and [SSN]"),
    ("Social Security Number: 123456789", "Social Security Number: [SSN]"),
    ("MRN: 00123456, MR# 12345, Medical Record Number 123-456", "MRN: [MRN], MR# [MRN], Medical Record Number [MRN]"),
    ("Patient ID: PT-00123; Chart # A12345", "Patient ID: [MRN]; Chart # [MRN]"),
    ("DOB: 03/14/1962; D.O.B. 3/14/62; Birth date: 1962-03-14", "DOB: [DOB]; D.O.B. [DOB]; Birth date: [DOB]"),
    ("Date of Birth: March 14, 1962 and born on 14th of March, 1962", "Date of Birth: [DOB] and born on [DOB]"),
    ("Lives at 350 5th Avenue, New York, NY 10118.", "Lives at [ADDRESS]."),
    ("Ship to 1200 E. Algonquin Road\nSchaumburg, IL 60196", "Ship to [ADDRESS]"),
    ("Mail: P.O. Box 58185 or Post Office Box 12", "Mail: [ADDRESS] or [ADDRESS]"),
    ("Seen by Dr. Smith's team, Mrs. McDonald and Prof. Jean-Luc Picard.",
     "Seen by Dr. [NAME]'s team, Mrs. [NAME] and Prof. [NAME]."),
    ("Name: DOE, JANE\nPatient name: Ludwig van Beethoven", "Name: [NAME]\nPatient name: [NAME]"),
    ("Name: Jane Doe Allergies: none", "Name: [NAME] Allergies: none"),
    ("Dear John,\nDear Sir or Madam,", "Dear [NAME],\nDear Sir or Madam,"),
    ("Attention: Mark Hacker, General Counsel", "Attention: [NAME], General Counsel"),
    ("By: /s/ Gu Xianwin Gu Xianwin", "By: /s/ [NAME] [NAME]"),
    # A labelled full name goes wherever else it appears; a bare surname or a longer word does not.
    ("Patient: Jane Doe\nJane Doe reports pain. Doe family. Jane Doering.",
     "Patient: [NAME]\n[NAME] reports pain. Doe family. Jane Doering."),
])
def test_identifier_forms(redactor: Redactor, text: str, expected: str) -> None:
    assert redactor.redact(text).text == expected


NEGATIVES = [
    "Metformin 500 mg twice daily; 10 mg Daily Dose; take 2 Tylenol Extra Strength tablets",
    "NDC 0115-0672-50 and NDC 00115-0672-50",
    "See § 12.2, § 1983 and Section 4.1 of the Agreement",
    "In 1962 and again in 2024 the policy changed",
    "BP 120/80, HR 72, RR 16, SpO2 98%, WBC 7.2, glucose 110-140 mg/dL, pH: 7.35-7.45 (7.40)",
    "ICD-10 E11.9; ICD-10-CM I10; CPT 99213",
    "see pages 123-456 and dosing 1-2 tablets q4-6h",
    "History of Parkinson disease, Hodgkin lymphoma, Alzheimer's disease and Crohn's disease",
    "PMID: 12345678; DOI 10.1056/NEJMoa1234567; ISBN 978-0-306-40615-7; version 1.2.3",
    "Admitted 03/15/2024; discovery closes on June 1, 2024",
    "The 2019 Supreme Court decision in Smith v. Jones, 123 F.3d 456 (9th Cir. 1997), controls",
    "Case No. 2:21-cv-01234; Pub. L. 111-148; ZIP 62704-1234",
    "Invalid SSNs 000-12-3456, 666-12-3456, 912-34-5678, 123-00-4567, 123-45-0000",
    "Patient: Alert and oriented x3. Drug name: Tylenol Extra",
    "Source: https://pubmed.ncbi.nlm.nih.gov/12345678/ (public)",
    "Will We Miss Cancers Following Updated Guidelines?",
    "Room 12 East Wing; the medical record number is pending; born in 1962",
    "Dx Pneumonia. Px Normal. Ps Note. MS Contin 30 mg; MS flare",
    "Order 555 123 4567 units",  # spaced digits without a country code or label are table cells
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_ordinary_text_is_unchanged(redactor: Redactor, text: str) -> None:
    result = redactor.redact(text)
    assert result.text == text, result.spans
    assert result.counts == {} and result.spans == []


def test_overlaps_resolve_by_priority_and_never_overlap(redactor: Redactor) -> None:
    result = redactor.redact("MRN: 555-123-4567 and MRN 123-45-6789")
    # A labelled record number outranks the phone/SSN shape of its value.
    assert result.text == "MRN: [MRN] and MRN [MRN]"
    assert result.counts == {"mrn": 2}
    for text in (CLINICAL, LEGAL):
        spans = redactor.redact(text).spans
        assert spans == sorted(spans)
        assert all(a[1] <= b[0] for a, b in pairwise(spans))


def test_spans_rebuild_the_text_and_redaction_is_deterministic_and_idempotent(redactor: Redactor) -> None:
    for text in (CLINICAL, LEGAL):
        result = redactor.redact(text)
        rebuilt, last = "", 0
        for start, end, kind in result.spans:
            rebuilt += text[last:start] + f"[{kind.upper()}]"
            last = end
        assert rebuilt + text[last:] == result.text
        assert redactor.redact(text) == result
        assert redactor.redact(result.text).text == result.text


def test_result_never_carries_original_values(redactor: Redactor) -> None:
    result = redactor.redact(CLINICAL)
    for secret in ("Jane A. Doe", "00123456", "123-45-6789", "jane.doe@example.com", "Main Street"):
        assert secret not in repr(result)


def test_types_subset_only_redacts_those(redactor: Redactor) -> None:
    only = Redactor(RedactionConfig(enabled=True, types=("phone", "email")))
    result = only.redact("Dr. Smith, 555-123-4567, a@b.org, SSN 123-45-6789")
    assert result.text == "Dr. Smith, [PHONE], [EMAIL], SSN 123-45-6789"
    assert result.counts == {"email": 1, "phone": 1}


def test_disabled_config_leaves_text_untouched() -> None:
    off = Redactor(RedactionConfig(enabled=False))
    result = off.redact(CLINICAL)
    assert result.text == CLINICAL and result.counts == {} and result.spans == []
    doc = Document(id="d1", text=CLINICAL, title="Jane Doe", metadata={"page_starts": [0, 10]})
    assert redact_document(doc, off) == (doc, {})


def test_config_is_validated_and_normalised() -> None:
    assert RedactionConfig().enabled is False and RedactionConfig().types == TYPES
    assert RedactionConfig(enabled=True, types=("NAME", "email")).types == ("email", "name")
    assert RedactionConfig(enabled=True, types="ssn, phone").types == ("phone", "ssn")  # type: ignore[arg-type]
    assert RedactionConfig(enabled=True, types=["mrn"]).types == ("mrn",)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs, found", [
    ({"enabled": "yes"}, "'yes'"),
    ({"enabled": True, "types": ("email", "emial")}, "'emial'"),
    ({"enabled": True, "types": ()}, "[]"),
    ({"enabled": True, "types": 5}, "5"),
])
def test_invalid_config_says_expected_and_found(kwargs: dict[str, object], found: str) -> None:
    with pytest.raises(ConfigError) as err:
        RedactionConfig(**kwargs)  # type: ignore[arg-type]
    message = str(err.value)
    assert message.startswith("[redaction]") and "expected" in message and "found" in message and found in message


def test_merge_counts_sums_in_canonical_order() -> None:
    merged = merge_counts({"name": 1}, {"name": 2, "email": 1}, {}, {"phone": 0})
    assert merged == {"email": 1, "name": 3} and list(merged) == ["email", "name"]


PAGES = ["Patient: Jane Doe\nDOB: 03/14/1962\n", "Call 555-123-4567 for results.\n", "No identifiers here.\n",
         "Email jane@example.org. End.\n"]


def _paged_document() -> Document:
    text, starts = "", []
    for page in PAGES:
        starts.append(len(text))
        text += page
    structure = [{"start": s, "end": s + len(p), "section": f"Part {i}", "page": i + 1}
                 for i, (s, p) in enumerate(zip(starts, PAGES))]
    structure[0]["section"] = "Patient: Jane Doe"
    metadata = {"format": "pdf", "page_starts": starts, "structure": structure, "pmid": "12345678",
                "author": "Dr. Jane Smith", "url": "https://example.org/?contact=jane@example.org",
                "source_id": "555-123-4567", "tags": ["call 555-123-4567"], "extra": {"contact": "jane@example.org"}}
    return Document(id="note-1", text=text, title="Note for Patient: Jane Doe", source="notes.pdf", metadata=metadata)


def test_redact_document_remaps_page_starts_and_structure(redactor: Redactor) -> None:
    doc = _paged_document()
    original_metadata = repr(doc.metadata)
    out, counts = redact_document(doc, redactor)
    pages = [redactor.redact(p).text for p in PAGES]
    assert out.text == "".join(pages)
    starts = out.metadata["page_starts"]
    assert [out.text[a:b] for a, b in zip(starts, starts[1:] + [len(out.text)])] == pages
    structure = out.metadata["structure"]
    assert [out.text[s["start"]:s["end"]] for s in structure] == pages
    assert [s["page"] for s in structure] == [1, 2, 3, 4]
    assert structure[0]["section"] == "Patient: [NAME]"
    assert out.title == "Note for Patient: [NAME]"
    meta = out.metadata
    assert meta["author"] == "Dr. [NAME]" and meta["tags"] == ["call [PHONE]"]
    assert meta["extra"] == {"contact": "[EMAIL]"}
    # Identifiers and links are kept: evaluations and citations map on them.
    assert meta["pmid"] == "12345678" and meta["source_id"] == "555-123-4567" and meta["url"] == doc.metadata["url"]
    assert (out.id, out.source, meta["format"]) == ("note-1", "notes.pdf", "pdf")
    # text: name, dob, phone, email; title and structure: a name each; metadata: name, phone, email.
    assert counts == {"email": 2, "dob": 1, "phone": 2, "name": 4}
    assert repr(doc.metadata) == original_metadata  # the input document is not modified


def test_redacted_document_chunks_on_the_right_pages(redactor: Redactor) -> None:
    doc = _paged_document()
    metadata = {k: v for k, v in doc.metadata.items() if k != "structure"}
    out, _ = redact_document(Document(id=doc.id, text=doc.text, metadata=metadata), redactor)
    chunks = SentenceChunker().chunk(out)
    assert chunks
    for chunk in chunks:
        assert out.text[chunk.start:chunk.end] == chunk.text
        assert "Jane" not in chunk.text and "555-123" not in chunk.text
        assert chunk.locator.page is not None
        assert chunk.text in redactor.redact(PAGES[chunk.locator.page - 1]).text


def test_offsets_inside_an_identifier_snap_to_its_placeholder(redactor: Redactor) -> None:
    text = "Contact: jane.doe@example.com today. More text follows here."
    cut = text.index("example")  # a page break in the middle of the e-mail address
    structure = [{"start": 0, "end": cut - 3}, {"start": cut - 3, "end": cut}, {"start": cut, "end": len(text)}]
    doc = Document(id="d", text=text, metadata={"page_starts": [0, cut], "structure": structure})
    out, counts = redact_document(doc, redactor)
    assert out.text == "Contact: [EMAIL] today. More text follows here."
    assert out.metadata["page_starts"] == [0, out.text.index("[EMAIL]")]
    # The middle span lay wholly inside the address: nothing of it is left, so it is dropped, and the
    # remaining spans still tile the text with no gap or overlap.
    spans = [(s["start"], s["end"]) for s in out.metadata["structure"]]
    assert spans == [(0, out.text.index("[EMAIL]")), (out.text.index("[EMAIL]"), len(out.text))]
    assert counts == {"email": 1}
    result = redactor.redact(text)
    assert [result.remap(i) for i in (0, 9, 10, len(text))] == [0, 9, 9, len(out.text)]


@pytest.mark.parametrize("metadata, expected", [
    ({"page_starts": ["0", 10]}, "integer character offsets"),
    ({"page_starts": 3}, "integer character offsets"),
    ({"structure": [{"start": 0}]}, "integer character offsets"),
    ({"structure": ["0-10"]}, "list of dicts"),
])
def test_malformed_offsets_are_reported(redactor: Redactor, metadata: dict[str, object], expected: str) -> None:
    doc = Document(id="bad", text="Dr. Smith called.", metadata=metadata)
    with pytest.raises(ValueError, match=expected) as err:
        redact_document(doc, redactor)
    assert "'bad'" in str(err.value) and "found" in str(err.value) and "fix the connector" in str(err.value)


def test_default_redactor_is_enabled_for_all_types() -> None:
    assert Redactor().config == RedactionConfig(enabled=True)
    assert Redactor().redact("Dr. Smith").text == "Dr. [NAME]"
