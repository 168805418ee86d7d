"""Files uploaded on the page, put where the KB keeps them: `KB/uploads/<groups>/<name>`.

The folder name is the documents' ACL ("nurses", "nurses+pharmacy"; "~public" for none; "+" and "~"
cannot occur in group names), so a re-sync of the folder gives its files the same ACL again, and the
document ids ("uploads/nurses/leaflet.md") of two groups never collide: one group's upload can never
replace another group's document. Only plain document formats are accepted: record files (.csv,
.jsonl) name their own document ids, which would let an upload overwrite any document.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from connectors.files import SUPPORTED

UPLOADS = "uploads"
PUBLIC = "~public"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # one file, and one zip member once extracted
MAX_ZIP_BYTES = 500 * 1024 * 1024  # everything one zip extracts to
MAX_ZIP_MEMBERS = 2000


def group_folder(acl: tuple[str, ...]) -> str:
    return "+".join(sorted(acl)) if acl else PUBLIC


def folder_acl(name: str) -> tuple[str, ...]:
    return () if name == PUBLIC else tuple(name.split("+"))


def safe_name(name: str) -> str:
    """A file name that is safe on disk and in a document id: no folders, no leading dot."""
    name = re.sub(r"[^A-Za-z0-9 ._-]+", "_", Path(name).name).strip(" .")
    return name or "upload"


@dataclass
class Staged:
    """Files placed under the uploads folder, and the inputs that could not be (as ingest errors)."""

    files: list[Path] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    # file → its previous content, kept until the ingest says whether the new one could be read
    previous: dict[Path, bytes] = field(default_factory=dict)


def stage(uploaded: list[str | Path], folder: Path) -> Staged:
    """Copies each upload (a zip: its members, keeping their sub-folders) into `folder`."""
    out = Staged()
    folder.mkdir(parents=True, exist_ok=True)
    for raw in uploaded:
        src = Path(raw)
        name = safe_name(src.name)
        if src.suffix.lower() == ".zip":
            _unzip(src, folder / Path(name).stem, out)
        elif _accepted(name, src.stat().st_size, out, name):
            _place(src.read_bytes(), folder / name, out)
    return out


def restore_failed(staged: Staged, errors: list[dict[str, str]]) -> None:
    """Puts back the previous version of every staged file the ingest could not read (or removes a new
    one), so the folder keeps matching what the KB holds and a later re-sync does not retry garbage."""
    failed = {e["source"] for e in errors}
    for file in staged.files:
        if str(file) in failed:
            if file in staged.previous:
                file.write_bytes(staged.previous[file])
            else:
                file.unlink(missing_ok=True)


def _accepted(name: str, size: int, out: Staged, source: str) -> bool:
    if Path(name).suffix.lower() not in SUPPORTED:
        out.errors.append({"source": source, "error": f"unsupported file type {Path(name).suffix or '(none)'}; "
                                                      f"expected one of {', '.join(SUPPORTED)} or a .zip of them"})
        return False
    if size > MAX_UPLOAD_BYTES:
        out.errors.append({"source": source, "error": f"file is {size / 1e6:.0f} MB, over the "
                                                      f"{MAX_UPLOAD_BYTES // 10**6} MB upload limit; split it"})
        return False
    return True


def _place(data: bytes, target: Path, out: Staged) -> None:
    if target.exists():
        out.previous[target] = target.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")  # hidden: a re-sync never reads a half-written file
    tmp.write_bytes(data)
    tmp.replace(target)
    out.files.append(target)


def _unzip(src: Path, folder: Path, out: Staged) -> None:
    try:
        with zipfile.ZipFile(src) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) > MAX_ZIP_MEMBERS:
                out.errors.append({"source": src.name, "error": f"zip holds {len(members)} files, over the limit of "
                                                                f"{MAX_ZIP_MEMBERS}; split it into several zips"})
                return
            total = sum(m.file_size for m in members)
            if total > MAX_ZIP_BYTES:
                out.errors.append({"source": src.name, "error": f"zip extracts to {total / 1e6:.0f} MB, over the "
                                                                f"{MAX_ZIP_BYTES // 10**6} MB limit; split it"})
                return
            for member in members:
                parts = PurePosixPath(member.filename.replace("\\", "/")).parts
                where = f"{src.name}:{member.filename}"
                if ".." in parts or PurePosixPath(member.filename).is_absolute():  # would escape the folder
                    out.errors.append({"source": where, "error": "path leaves the zip's folder; skipped"})
                    continue
                if not parts or any(p.startswith((".", "__MACOSX")) for p in parts):  # OS litter (.DS_Store)
                    continue
                if _accepted(parts[-1], member.file_size, out, where):
                    _place(archive.read(member), folder.joinpath(*[safe_name(p) for p in parts]), out)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        # RuntimeError: encrypted members; NotImplementedError: an unsupported compression method
        out.errors.append({"source": src.name, "error": f"not a readable zip ({exc}); expected a .zip of "
                                                        f"{', '.join(SUPPORTED)} files"})
    if folder.is_dir() and not any(folder.iterdir()):
        shutil.rmtree(folder, ignore_errors=True)
