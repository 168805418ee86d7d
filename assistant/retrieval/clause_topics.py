"""Contract questions matched to the clause that answers them, by the clause's heading.

A lawyer asks "which law governs this agreement?"; the contract answers under "14.3 Governing Law",
"Choice of Law" or "Applicable Law", in words ("construed in accordance with the laws of Delaware")
MiniLM places near every other boilerplate clause. So each topic below pairs the ways a question asks for
it with the headings contracts file it under (CUAD's categories and the synonyms drafters use), and the
phrases its clause text carries when the contract has no headings. `fusion.rank` adds
`heading_weight` to candidates whose heading (the chunk locator's section) or text matches the asked topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.core.types import Chunk


@dataclass(frozen=True)
class ClauseTopic:
    name: str  # CUAD's category name where there is one
    question: re.Pattern
    headings: tuple[str, ...]  # lower-case heading words, matched as whole phrases
    phrases: tuple[str, ...] = ()  # lower-case phrases of the clause text itself (contracts without headings)
    # The clause's wording where drafters vary it too much for phrases ("governed in all respects by the
    # laws of", "exclusively governed, construed, enforced and controlled by the laws of"); also what a
    # sentence must say to answer the question when it is not from the clause (reliability/coverage.py).
    wording: re.Pattern | None = None

    def matches(self, chunk: Chunk) -> bool:
        heading = " ".join((chunk.locator.section or "").lower().split())
        if heading and any(re.search(rf"\b{re.escape(h)}\b", heading) for h in self.headings):
            return True
        text = " ".join(chunk.text[:1500].lower().split())
        return any(p in text for p in self.phrases) or bool(self.wording and self.wording.search(text))

    def worded_in(self, sentence: str) -> bool:
        """The sentence says what the clause says: its wording, one of its phrases, or (for a topic
        without a wording pattern) the words a question asks for it with."""
        low = " ".join(sentence.lower().split())
        if any(p in low for p in self.phrases):
            return True
        return bool((self.wording or self.question).search(sentence))


def _q(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


TOPICS: tuple[ClauseTopic, ...] = (
    ClauseTopic("Governing Law",
                _q(r"\bgovern\w*\b[^?]{0,40}\blaws?\b|\blaws?\b[^?]{0,40}\bgovern|\bchoice of law|\bapplicable law"
                   r"|\bwhich (?:state|country|jurisdiction)\w*\b[^?]{0,30}\blaws?\b|\bgoverning law"),
                ("governing law", "governing laws", "choice of law", "applicable law", "law and jurisdiction",
                 "governing law and jurisdiction", "law"),
                ("governed by the laws", "governed by and construed", "construed in accordance with the laws",
                 "governed by the law", "construed under the laws", "interpreted in accordance with the laws"),
                # "comply with all applicable laws" words the question's "applicable law", not this clause
                _q(r"\bgoverning laws?\b|\b(?:govern|constru|interpret|enforc|controll)\w*\b[^.;]{0,80}?"
                   r"\b(?:by|under|with)\s+(?:the\s+)?(?:internal\s+|substantive\s+)?laws?\s+(?:of|in force)\b"
                   r"|\blaws?\s+of\b[^.;]{0,60}\bshall\s+(?:govern|apply|be\s+applicable)\b")),
    ClauseTopic("Renewal",
                _q(r"\brenew\w*|\bnon-renewal"),
                ("term", "renewal", "renewal term", "term and termination", "term of agreement", "duration",
                 "initial term", "term; termination"),
                ("automatically renew", "automatically be renewed", "successive", "renewal term",
                 "notice of non-renewal", "written notice of its intention not to renew")),
    ClauseTopic("Expiration Date",
                _q(r"\bexpir\w*|\bhow long\b[^?]{0,40}\b(?:last|run|remain|in effect|in force)|\bterm of (?:the|this)"
                   r"\b|\bwhen does\b[^?]{0,40}\bend\b|\bduration\b"),
                ("term", "duration", "term and termination", "term of agreement", "expiration", "initial term",
                 "effective date and term", "term; termination"),
                ("shall remain in effect", "shall remain in full force", "shall continue in full force",
                 "initial term", "shall expire")),
    ClauseTopic("Termination For Convenience",
                _q(r"\bterminat\w*\b[^?]{0,60}\b(?:without cause|for convenience|at any time|any reason|for no reason)"
                   r"|\bcancel\w*\b[^?]{0,30}\b(?:agreement|contract)"),
                ("termination", "termination for convenience", "term and termination", "right to terminate"),
                ("terminate this agreement for convenience", "without cause", "for any reason or no reason")),
    ClauseTopic("Anti-Assignment",
                _q(r"\bassign\w*|\btransfer\b[^?]{0,30}\b(?:agreement|contract|rights)"),
                ("assignment", "assignments", "no assignment", "successors and assigns", "assignment and delegation",
                 "assignability", "binding effect"),
                ("may not assign", "shall not assign", "without the prior written consent of the other party")),
    ClauseTopic("Non-Compete",
                _q(r"\bcompet\w*|\bnon-compete\b"),
                ("non-competition", "non-compete", "noncompetition", "covenant not to compete", "restrictive covenants",
                 "competitive activities"),
                ("shall not compete", "not to compete", "competitive product")),
    ClauseTopic("Exclusivity",
                _q(r"\bexclusiv\w*"),
                ("exclusivity", "exclusive", "grant of rights", "appointment"),
                ("exclusive right", "on an exclusive basis", "exclusive distributor")),
    ClauseTopic("Cap On Liability",
                _q(r"\bliabilit\w*|\bliable\b"),
                ("limitation of liability", "limitation on liability", "limitations of liability", "liability",
                 "limited liability", "damages"),
                ("in no event shall", "aggregate liability", "shall not exceed")),
    ClauseTopic("Insurance", _q(r"\binsur\w*"), ("insurance",), ("shall maintain insurance", "insurance coverage")),
    ClauseTopic("Audit Rights",
                _q(r"\baudit\w*|\binspect\w*\b[^?]{0,30}\b(?:books|records)"),
                ("audit", "audits", "audit rights", "records", "books and records", "inspection"),
                ("audit", "inspect the books")),
    ClauseTopic("Confidentiality",
                _q(r"\bconfidential\w*|\bnon-disclosure"),
                ("confidentiality", "confidential information", "non-disclosure", "nondisclosure"), ()),
    ClauseTopic("Indemnification",
                _q(r"\bindemn\w*|\bhold harmless"),
                ("indemnification", "indemnity", "indemnities"), ("indemnify", "hold harmless")),
    ClauseTopic("Warranty Duration",
                _q(r"\bwarrant\w*"),
                ("warranty", "warranties", "representations and warranties", "limited warranty"), ()),
    # Not CUAD categories: what employees, clinics and tenants ask of offer letters, DPAs and licences.
    ClauseTopic("Leave and Benefits",
                _q(r"\bvacation|\bpaid time off\b|\bPTO\b|\bholidays?\b|\b(?:annual|sick|parental|maternity|"
                   r"paternity) leave\b|\bbenefits?\b"),
                ("benefits", "paid time off", "vacation", "leave", "time off", "holidays", "employee benefits"),
                ("paid time off", "days of vacation", "vacation days")),
    ClauseTopic("Security Incidents",
                _q(r"\b(?:data|security|personal data|privacy) breach\w*|\bbreach\w*\b[^?]{0,30}\b(?:data|security)\b"
                   r"|\bsecurity incidents?\b|\bdata leak\w*|\bhack\w*"),
                ("security incidents", "security incident", "data breach", "personal data breach", "breach notification",
                 "incident notification", "notification of breach"),
                ("security incident", "personal data breach", "after becoming aware")),
    ClauseTopic("License Grant",
                _q(r"\bhow many (?:people|persons|users|employees|staff|seats|installations|copies|devices)\b"
                   r"|\bnamed users?\b|\b(?:users?|seats|people) (?:are |is )?(?:allowed|permitted)\b|\bwho (?:may|can) use\b"
                   r"|\blicen[cs]e grant|\bgrant of (?:the )?licen[cs]e"),
                ("license grant", "licence grant", "grant of license", "grant of licence", "license", "licence",
                 "scope of license", "authorized users", "permitted users"),
                ("named users", "hereby grants", "grants the licensee", "grants to licensee")),
    ClauseTopic("Payment",
                _q(r"\bpa(?:y|id|ys|yment|yments)\b|\bfees?\b|\bprice\b|\broyalt\w*|\bcompensat\w*|\binvoice"),
                ("payment", "payments", "fees", "compensation", "royalties", "royalty", "payment terms", "price",
                 "pricing", "invoicing"), ()),
    ClauseTopic("Dispute Resolution",
                _q(r"\barbitrat\w*|\bdisput\w*|\bvenue\b|\bwhich courts?\b|\bjurisdiction\b"),
                ("arbitration", "dispute resolution", "disputes", "jurisdiction", "venue", "forum"),
                ("arbitration", "exclusive jurisdiction")),
    ClauseTopic("Force Majeure",
                _q(r"\bforce majeure\b|\bacts? of god\b"), ("force majeure",), ("force majeure",)),
    ClauseTopic("Notices",
                _q(r"\bnotices?\b[^?]{0,30}\b(?:sent|given|delivered|addressed)|\baddress for notices?"),
                ("notices", "notice"), ()),
)


def clause_topic(question: str) -> ClauseTopic | None:
    """The first topic whose question pattern the question matches (the table's order settles overlaps:
    "how much notice stops renewal" is a renewal question, not a notices one)."""
    for topic in TOPICS:
        if topic.question.search(question or ""):
            return topic
    return None
