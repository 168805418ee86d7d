"""PDF text with page numbers: the chunker turns `page_starts` into `p. N` locators."""

from __future__ import annotations

import logging
from pathlib import Path

from assistant.core.errors import SourceError


def read_pdf(path: Path) -> tuple[str, str, dict]:
    """(title, text, metadata). Raises SourceError for encrypted, corrupt or text-less PDFs."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-but-readable PDFs warn on every page
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceError(str(path), "PDF is encrypted with a password; export an unprotected copy to ingest it")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
        title = str(info.title).strip() if info and info.title else ""
    except SourceError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise SourceError(str(path), f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # pypdf raises assorted errors on damaged files; one file must not stop a batch
        if "crypt" in str(exc).lower():
            raise SourceError(str(path), "PDF is encrypted and cannot be decrypted here; export an unprotected copy") from None
        raise SourceError(str(path), f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    text_parts, page_starts, offset = [], [], 0
    for page_text in pages:
        page_text = page_text.replace("\r\n", "\n").replace("\xa0", " ").strip()
        page_starts.append(offset)
        text_parts.append(page_text)
        offset += len(page_text) + 2
    text = "\n\n".join(text_parts)
    if not text.strip():
        raise SourceError(str(path), f"PDF has {len(pages)} pages but no extractable text (a scan?); "
                                     "run OCR on it first")
    return title, text, {"format": "pdf", "pages": len(pages), "page_starts": page_starts}
