"""Small documents of every format, written by the tests themselves."""

from __future__ import annotations

from pathlib import Path


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with one text line per page (Helvetica), correct xref offsets included."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        content_id = len(objects)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
                       "/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def make_encrypted_pdf(path: Path, pages: list[str], password: str = "secret") -> None:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(pages))))
    writer.encrypt(user_password=password, algorithm="RC4-128")
    with path.open("wb") as f:
        writer.write(f)


def make_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = "Clinic Handbook"
    d.add_heading("Clinic Handbook", level=0)
    d.add_heading("Opening Hours", level=1)
    d.add_paragraph("The clinic opens at 8 am on weekdays.")
    d.add_paragraph("Bring your insurance card", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Day", "Hours"
    table.cell(1, 0).text, table.cell(1, 1).text = "Saturday", "9-12"
    d.add_heading("Fees", level=2)
    d.add_paragraph("A missed appointment costs 40 dollars.")
    d.save(str(path))


def rewrite_docx_part(path: Path, change, part: str = "word/document.xml") -> None:
    """Rewrite one XML part of the .docx at `path` in place with `change(bytes) -> bytes` (malformed or
    oversized XML inside an otherwise valid package)."""
    import io
    import zipfile

    original = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info, change(data) if info.filename == part else data)
    path.write_bytes(out.getvalue())
