from assistant.connectors import FileConnector, connector_for
from assistant.core.errors import SourceError


def _docs(path):
    items = list(connector_for(path).iter_documents())
    return [d for d in items if not isinstance(d, Exception)], [e for e in items if isinstance(e, Exception)]


def test_folder_of_text_markdown_and_html(tmp_path):
    root = tmp_path / "notes"
    (root / "sub").mkdir(parents=True)
    (root / "a.md").write_text("# Asthma basics\n\nInhalers help.\n", encoding="utf-8")
    (root / "sub" / "b.txt").write_text("Plain text body.", encoding="utf-8")
    (root / "c.html").write_text("<html><head><title>Flu page</title><script>x()</script></head><body>"
                                 "<h2>Symptoms</h2><p>Fever and <b>cough</b>.</p><ul><li>Rest</li></ul></body></html>")
    (root / "ignored.bin").write_bytes(b"\x00\x01")
    (root / ".hidden.md").write_text("secret")
    docs, errors = _docs(root)
    # A file of a type nothing reads is listed with its reason (a warning in the ingest report).
    assert [(type(e).__name__, e.source.rsplit("/", 1)[1]) for e in errors] == [("SkippedSource", "ignored.bin")]
    assert "unsupported file type .bin" in str(errors[0])
    by_id = {d.id: d for d in docs}
    assert set(by_id) == {"notes/a.md", "notes/sub/b.txt", "notes/c.html"}
    assert by_id["notes/a.md"].title == "Asthma basics"
    html = by_id["notes/c.html"]
    assert html.title == "Flu page" and "## Symptoms" in html.text and "Fever and cough." in html.text
    assert "x()" not in html.text and "- Rest" in html.text


def test_encodings_are_detected(tmp_path):
    f = tmp_path / "latin.txt"
    f.write_bytes("Le café est fermé le dimanche. Les pâtisseries sont très appréciées à Noël.".encode("cp1252"))
    g = tmp_path / "bom.txt"
    g.write_bytes("\ufeffBOM text here.".encode("utf-8"))
    (doc,), _ = _docs(f)
    assert "café" in doc.text and "fermé" in doc.text and doc.metadata["encoding"] != "utf-8"
    (doc,), _ = _docs(g)
    assert doc.text == "BOM text here." and "encoding" not in doc.metadata


def test_non_utf8_file_is_ingested_with_a_warning(new_kb, tmp_path):
    f = tmp_path / "latin.txt"
    f.write_bytes("Le café est fermé le dimanche. Les pâtisseries sont très appréciées à Noël.".encode("cp1252"))
    report = new_kb().ingest(FileConnector(f).iter_documents())
    assert report.documents_added == 1 and not report.errors
    assert len(report.warnings) == 1 and "not UTF-8" in report.warnings[0]["warning"]


def test_bad_inputs_become_errors_with_reasons(tmp_path):
    (tmp_path / "empty.txt").write_text("   \n")
    (tmp_path / "binary.txt").write_bytes(b"PK\x03\x04\x00\x00binary")
    (tmp_path / "ok.txt").write_text("Fine.")
    cases = {
        tmp_path / "missing.md": "does not exist",
        tmp_path / "empty.txt": "empty",
        tmp_path / "binary.txt": "binary",
        tmp_path / "ok.txt": None,
    }
    for path, reason in cases.items():
        docs, errors = _docs(path)
        if reason is None:
            assert len(docs) == 1 and not errors
        else:
            assert not docs and len(errors) == 1
            assert isinstance(errors[0], SourceError) and reason in str(errors[0]) and errors[0].source


def test_unsupported_explicit_file(tmp_path):
    f = tmp_path / "scan.png"
    f.write_bytes(b"\x89PNG")
    (err,) = list(FileConnector(f).iter_documents())
    assert "unsupported file type .png" in str(err)


def test_oversized_file_is_skipped_with_reason(tmp_path, monkeypatch):
    import assistant.connectors.files

    monkeypatch.setattr(assistant.connectors.files, "MAX_FILE_BYTES", 100)
    f = tmp_path / "big.txt"
    f.write_text("word " * 100)
    (err,) = list(FileConnector(f).iter_documents())
    assert isinstance(err, SourceError) and "over the" in str(err) and "split it" in str(err)
