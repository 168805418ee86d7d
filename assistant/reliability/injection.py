"""Injection screening: a retrieved passage that tries to instruct the model is quarantined.

Anyone who can put a document into the knowledge base can write "ignore previous instructions" into
it, and the small generator reads passages and instructions in one prompt. So passages are screened
before generation: a flagged one is withheld from the generator and shown to the user as a flagged
source, with the reasons.

The rules look for text that *addresses the model*: imperative override phrases at the start of a
clause, fake chat turns and chat-template tokens, requests to reveal the prompt, to answer only with
something, to send the user somewhere, and jailbreak phrasing. Clinical and contract prose is full of
"ignore", "disregard", "instructions" and URLs in third-person or conditional clauses ("the patient was
instructed to ignore ...", "the Licensee shall disregard any prior instructions", "visit
medlineplus.gov"); those are not clause-initial imperatives aimed at an assistant, and are left alone.

Matching runs on a normalised copy (NFKC, zero-width and soft-hyphen characters removed, common
Cyrillic/Greek look-alikes mapped to Latin, lower case, runs of spaces collapsed), so full-width
letters, "ig\u200bnore" or a Cyrillic "о" do not slip through. The passage itself is never changed.
Retrieved hits are screened by injection_model.screen_hits: these rules OR the learned detector.
"""

from __future__ import annotations

import re
import unicodedata


# Invisible characters used to split trigger words; removed before matching.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064"
                                    "\u206a\u206b\u206c\u206d\u206e\u206f\ufeff"))
# Look-alike letters NFKC leaves alone (Cyrillic and Greek); mapped only in the matching copy.
_CONFUSABLES = str.maketrans("аеорсухіјѕԁɡԛԝαεικνορτυχ", "aeopcyxijsdgqwaeiknoptux")
_SPACES = re.compile(r"[^\S\n]+")

# A clause start: text start, line start, after sentence punctuation or a quote/bracket/bullet, after
# "please"/"now", after "you must/should ...", or after an attention label ("IMPORTANT:"). An override
# verb after "shall", "was instructed to" or "and" (a contract's or a clinician's sentence) is not one.
_LEAD = (r"(?:^|(?<=[\n.!?:;\"'“”‘’()\[\]<>*#|•=~-])|\b(?:please|now|kindly|simply|just|instead)\b|"
         r"\byou\s+(?:must|should|need\s+to|have\s+to|are\s+to|are\s+required\s+to|will)\b)"
         r"\s*(?:(?:please|now|immediately|also|first|kindly|simply|just)\s+)*")
_INSTRUCTION_NOUN = r"(?:instructions?|prompts?|directions?|directives?|rules|guidelines|guidance|context|messages?|commands?|orders|programming|constraints)"
# "Ignore the previous instructions printed on the old label" names a real-world document: benign,
# unless the next words point at the model ("... given to you", "... from the system").
_REAL_WORLD_OBJECT = (r"(?!\s+(?:on|in|printed|from|for|given|issued|regarding|about|of|that|which|listed|dated|"
                      r"supplied|provided|sent|received|at)\b(?!\s+(?:(?:to|by)\s+)?(?:you|your|the\s+(?:system|developer|"
                      r"assistant|ai|model|user))\b))")

RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((reason, re.compile(pattern, re.M)) for reason, pattern in (
    ("instruction override", _LEAD +
     r"(?:ignore|disregard|forget|override|bypass|skip|discard|drop)\s+(?:(?:all|any|every|each|the|your|my|of|"
     r"these|those|earlier|previous|prior|above|preceding|foregoing|former|initial|original|system|existing|"
     r"current|other)\s+){1,4}" + _INSTRUCTION_NOUN + r"\b" + _REAL_WORLD_OBJECT),
    ("instruction override", _LEAD + r"(?:ignore|disregard|forget)\s+(?:all\s+|everything\s+|anything\s+)?"
     r"(?:(?:you\s+were\s+)?(?:told|said|written|stated)\s+)?(?:the\s+)?(?:above|before\s+this|so\s+far|"
     r"previously|earlier)\b\s*(?:[.,;:!\n]|and\b|$)"),
    ("instruction override", r"\b(?:forget|ignore)\s+(?:everything|all)\s+(?:you\s+(?:know|were\s+told|learned))"),
    ("instruction override", r"\b(?:new|updated|real|actual|secret|hidden|revised)\s+(?:system\s+)?"
     r"instructions?\s*:"),
    ("instruction override", r"\bsystem\s+(?:override|prompt\s+override|update)\s*[:!]"),
    ("role reassignment", r"(?:^|(?<=[\n.!?:;\"'“”()\[\]*#-]))\s*(?:from\s+now\s+on,?\s+)?you\s+are\s+(?:now|no\s+longer)"
     r"\s+(?:a|an|the|my|in|dan|called|named|free|unrestricted|unfiltered|not\s+bound|bound)\b"),
    ("role reassignment", r"\bfrom\s+now\s+on,?\s+(?:you|the\s+assistant)\s+(?:are|will|must|shall|should)\b"),
    ("role reassignment", _LEAD + r"(?:act|behave|respond)\s+as\s+(?:if\s+you\s+(?:are|were)\s+)?(?:a|an)\s+"
     r"(?:\w+\s+){0,2}(?:ai|assistant|chatbot|model|hacker|pirate|character|persona)\b"),
    ("role reassignment", _LEAD + r"(?:pretend|imagine)\s+(?:to\s+be|you\s+are|that\s+you\s+are)\b"),
    ("role reassignment", r"\bno\s+longer\s+(?:an?\s+)?(?:ai|assistant|language\s+model)\b"),
    ("chat-template token", r"<\|\s*(?:im_start|im_end|system|user|assistant|endoftext|begin_of_text|"
     r"start_header_id|end_header_id|eot_id)\s*\|>|\[/?inst\]|<</?sys>>|<start_of_turn>|<end_of_turn>"),
    ("fake chat turn", r"(?:^|\n)\s*#{2,}\s*(?:instruction|system|system\s+prompt|response)\s*:?\s*(?:\n|$)"),
    ("fake chat turn", r"(?:^|\n|[.!?]\s)\s*\[?system\]?\s*:\s*(?=[^\n]{0,160}\b(?:you|ignore|disregard|must|always|"
     r"never|respond|answer|reply|assistant|do\s+not|instructions?)\b)"),
    ("fake chat turn", r"(?:^|\n|[.!?]\s)\s*(?:user|human)\s*:[^\n]{1,400}?(?:\n|[.!?]\s)\s*(?:assistant|ai|bot)\s*:"),
    ("prompt extraction", r"\b(?:reveal|show|print|repeat|output|display|disclose|leak|dump|share|give|tell|"
     r"recite|write\s+out|what\s+(?:is|are|was|were))\s+(?:me\s+|us\s+)?(?:all\s+)?(?:of\s+)?(?:your|the)\s+"
     r"(?:(?:full|exact|complete|entire|verbatim)\s+)?(?:(?:system|initial|original|hidden|secret|internal|"
     r"developer)\s+(?:prompt|message|instructions?|rules)|prompt|(?:system\s+)?instructions\s+you\s+were\s+given)"),
    ("prompt extraction", r"\brepeat\s+(?:the\s+|all\s+)?(?:words|text|everything)\s+(?:above|before\s+this)\b"),
    ("output dictation", _LEAD + r"(?:respond|reply|answer|say|output|print|write|return)\s+"
     r"(?:(?:only|exclusively|solely|just)\s+(?:with|in|the\s+word|the\s+phrase|[\"'“‘])|with\s+(?:only|exactly|"
     r"just|nothing\s+but)\b|(?:exactly|verbatim)\s*[:\"'“‘])"),
    ("output dictation", r"\b(?:your|the)\s+(?:only\s+)?(?:answer|response|reply|output)\s+(?:must|should|shall|"
     r"will)\s+(?:only\s+)?(?:be|say|read|contain|include|start\s+with|begin\s+with)\s*[:\"'“‘]"),
    ("output dictation", _LEAD + r"(?:always|never)\s+(?:respond|reply|answer|say|mention|cite|refuse)\b"),
    ("redirect to URL or e-mail", r"\b(?:tell|instruct|ask|direct|advise|urge|invite|encourage|make)\s+(?:the\s+)?"
     r"(?:user|users|reader|readers|requester|patient|client)s?\s+(?:to\s+)?(?:visit|go\s+to|open|click|contact|"
     r"e-?mail|write\s+to|call|send|download|log\s*in|sign\s+in)\b"),
    ("redirect to URL or e-mail", r"\b(?:include|add|insert|append|put|embed|mention)\s+(?:this|the\s+following|a|"
     r"the|my)\s+(?:link|url|website|web\s+address|e-?mail(?:\s+address)?|address)\s+(?:in|into|to|at)\s+"
     r"(?:your|the|every|each|all)\s+(?:answer|response|reply|output)s?\b"),
    ("redirect to URL or e-mail", r"\b(?:send|forward|post|upload|exfiltrate|leak|e-?mail|transmit)\s+(?:the\s+|this\s+|"
     r"all\s+|your\s+|any\s+|the\s+user'?s?\s+)*(?:conversation|chat|data|prompt|context|history|question|"
     r"credentials|passwords?|api\s+keys?|tokens?|session|messages?)\s+(?:\w+\s+){0,3}to\s+"
     r"(?:https?://|www\.|\S+@\S+\.\w+)"),
    ("redirect to URL or e-mail", _LEAD + r"(?:visit|go\s+to|open|click|navigate\s+to|browse\s+to|contact|e-?mail|"
     r"fetch|call)\s+(?:https?://|www\.|\S+@)\S+[^\n.!?]{0,120}?\b(?:your\s+(?:answer|response|reply)|the\s+user|"
     r"before\s+(?:answering|responding|you\s+answer)|the\s+assistant|the\s+ai\b|language\s+model)"),
    ("jailbreak", r"\b(?:do\s+anything\s+now|jail\s*break(?:s|ed|ing)?|you\s+are\s+dan\b|as\s+dan\b)"),
    ("jailbreak", r"\b(?:enable|enter|activate|switch\s+to|turn\s+on)\s+(?:the\s+)?(?:developer|god|dan|jailbreak|"
     r"unrestricted|unfiltered|admin|debug)\s+mode\b|\bin\s+(?:developer|god|dan|jailbreak|unrestricted|"
     r"unfiltered)\s+mode\b"),
    ("jailbreak", r"\b(?:bypass|disable|turn\s+off|deactivate|ignore|remove|circumvent)\s+(?:all\s+|any\s+|your\s+|"
     r"the\s+)*(?:safety|content|ethical|moderation)\s+(?:filters?|guidelines|rules|polic(?:y|ies)|restrictions|"
     r"guardrails|protocols|settings)\b"),
    ("jailbreak", r"\byou(?:'re|\s+are)\s+(?:no\s+longer|not)\s+bound\s+by\s+(?:any\s+|your\s+|the\s+)?(?:rules|"
     r"guidelines|polic(?:y|ies)|restrictions|instructions|programming|openai|training)\b"),
    ("jailbreak", r"\b(?:respond|answer|reply|act|operate|speak|behave)\s+without\s+(?:any\s+)?(?:restrictions|"
     r"filters|filtering|limitations|censorship|guardrails|safety)\b"),
))


def normalise(text: str) -> str:
    """The matching copy: NFKC, invisible characters removed, look-alikes mapped, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").translate(_INVISIBLE).casefold().translate(_CONFUSABLES)
    return _SPACES.sub(" ", text)


def screen(text: str) -> list[str]:
    """Reasons the text looks like instructions to the model, one per match ("instruction override:
    'ignore previous instructions'"); empty when it reads as ordinary prose."""
    norm = normalise(text)
    reasons: list[str] = []
    for reason, pattern in RULES:
        for m in pattern.finditer(norm):
            found = " ".join(m.group().split()).strip(" \n.,;:!?\"'“”‘’()[]*#|•=~-")
            item = f"{reason}: '{found[:80]}'"
            if item not in reasons:
                reasons.append(item)
    return reasons
