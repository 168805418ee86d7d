"""The Knowledge base tab: pick or create a KB for this browser session, upload files or a zip and
watch them being indexed, list, delete and re-sync documents — all as the signed-in user, who only
ever sees (and can only touch) documents their groups may read."""

from __future__ import annotations

import html
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import gradio as gr

from assistant.apps import kb_ops
from assistant.apps.access import current_user
from assistant.apps.chat import ChatTab
from assistant.apps.conversation import Session, conversation_html
from assistant.apps.kb_manager import KBManager
from assistant.core.errors import AssistantError
from assistant.core.users import User, UserStore, upload_acl
from assistant.ingest.kb import IngestReport

PROGRESS_REFRESH_S = 0.2
COLUMNS = ["Document", "Title", "Passages", "Ingested (UTC)", "Visible to"]


def kb_line(manager: KBManager, session: Session, user: User | None) -> str:
    assistant = manager.assistant(session.kb)
    records = kb_ops.documents(assistant.kb, user)
    whose = f" you ({user.name}) can see" if user else ""
    return (f"Knowledge base: `{assistant.kb.path.name}` — {len(records)} documents{whose}, "
            f"{sum(r.chunk_count for r in records)} passages.")


class KBTab:
    def __init__(self, manager: KBManager, users: UserStore | None, session: gr.State, chat: ChatTab,
                 header: gr.Markdown) -> None:
        self.manager, self.users, self.session, self.header = manager, users, session, header
        with gr.Row():
            self.picker = gr.Dropdown(manager.choices(), value=manager.default, label="Knowledge base",
                                      elem_id="kb-picker", scale=3)
            new_name = gr.Textbox(label="New knowledge base", placeholder="name, e.g. ward-leaflets",
                                  elem_id="kb-new-name", scale=2)
            create = gr.Button("Create", elem_id="kb-create", scale=1)
        gr.Markdown("#### Add documents\nText, Markdown, HTML, PDF or Word files, or a .zip of them. Uploaded "
                    "documents are visible only to the group chosen here.")
        with gr.Row():
            files = gr.File(file_count="multiple", label="Files or a zip", elem_id="upload-files", scale=3)
            with gr.Column(scale=1):
                self.group = gr.Dropdown([], label="Visible to", elem_id="upload-group")
                ingest = gr.Button("Upload and ingest", variant="primary", elem_id="ingest")
        self.status = gr.Markdown("", elem_id="ingest-status")
        gr.Markdown("#### Documents")
        self.table = gr.Dataframe(headers=COLUMNS, datatype=["str", "str", "number", "str", "str"],
                                  interactive=False, elem_id="documents", wrap=True)
        with gr.Row():
            self.doomed = gr.Dropdown([], label="Document to delete", elem_id="delete-doc", scale=3)
            delete = gr.Button("Delete", variant="stop", elem_id="delete", scale=1)
        with gr.Row():
            self.folder = gr.Dropdown([], label="Folder to re-sync (new, changed and removed files)",
                                      elem_id="sync-folder", scale=3)
            resync = gr.Button("Re-sync", elem_id="resync", scale=1)
        listing = [self.header, self.table, self.doomed, self.folder]
        switched = [session, chat.conversation, chat.sources, chat.feedback_status, *listing]
        self.picker.change(self.switch, inputs=[self.picker, session], outputs=switched)
        create.click(self.create, inputs=[new_name, session], outputs=[self.picker, new_name])
        ingest.click(self.ingest, inputs=[files, self.group, session], outputs=[self.status, files, *listing])
        delete.click(self.delete, inputs=[self.doomed, session], outputs=[self.status, *listing])
        resync.click(self.resync, inputs=[self.folder, session], outputs=[self.status, *listing])

    def on_load(self, session: Session, request: gr.Request):
        """Fills what depends on who signed in: the groups to upload for, the lists, the header."""
        user = current_user(self.users, request)
        groups = list(user.writable_groups) if user else []  # a reader's groups take no uploads
        choices = ([(f"all my groups ({', '.join(groups)})", "")] if len(groups) > 1 else []) + [(g, g) for g in groups]
        empty = "no group you may add to (reader only)" if user else "everyone (no login on this page)"
        group = gr.Dropdown(choices or [(empty, "")], value=choices[0][1] if choices else "",
                            interactive=bool(choices))
        picker = gr.Dropdown(self.manager.choices(), value=session.kb or self.manager.default)
        return (picker, group, *self._listing(session, user))

    def load_outputs(self) -> list:
        return [self.picker, self.group, self.header, self.table, self.doomed, self.folder]

    def _listing(self, session: Session, user: User | None) -> tuple:
        kb = self.manager.assistant(session.kb).kb
        records = sorted(kb_ops.documents(kb, user), key=lambda r: r.ingested_at, reverse=True)  # newest first
        rows = [[r.id, r.title, r.chunk_count, r.ingested_at.replace("T", " ")[:19], ", ".join(r.acl) or "everyone"]
                for r in records]
        folders = kb_ops.sync_folders(kb, user)
        return (kb_line(self.manager, session, user), rows,
                gr.Dropdown([r.id for r in records], value=None),
                gr.Dropdown(folders, value=folders[0] if folders else None))

    def switch(self, path: str, session: Session, request: gr.Request):
        user = current_user(self.users, request)
        try:
            self.manager.assistant(path)
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        # The conversation's topic and sources belong to the KB it was held on: start a new one.
        session.kb, session.turns, session.topic, session.subject = path, [], None, None
        return (session, conversation_html([]), "", "", *self._listing(session, user))

    def create(self, name: str, session: Session, request: gr.Request):
        current_user(self.users, request)
        try:
            path = self.manager.create(name)
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        return gr.Dropdown(self.manager.choices(), value=path), ""

    def ingest(self, files: list[str] | None, group: str | None, session: Session, request: gr.Request,
               progress=gr.Progress()):
        user = current_user(self.users, request)
        try:
            acl = upload_acl(user, [group] if group else None)
            kb = self.manager.assistant(session.kb).kb
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        report = self._with_progress(progress, "Reading and indexing", partial(kb_ops.upload, user=user), kb,
                                     list(files or []), acl)
        visible = ", ".join(acl) if acl else "everyone"
        return (_summary(report, f"Visible to: {visible}."), None, *self._listing(session, user))

    def delete(self, doc_id: str | None, session: Session, request: gr.Request):
        user = current_user(self.users, request)
        if not doc_id:
            raise gr.Error("Choose a document to delete first.")
        try:
            message = kb_ops.delete(self.manager.assistant(session.kb).kb, doc_id, user)
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        return (f"✓ {html.escape(message)}", *self._listing(session, user))

    def resync(self, folder: str | None, session: Session, request: gr.Request, progress=gr.Progress()):
        user = current_user(self.users, request)
        if not folder:
            raise gr.Error("Choose a folder to re-sync first.")
        kb = self.manager.assistant(session.kb).kb
        report = self._with_progress(progress, f"Re-syncing {Path(folder).name}", kb_ops.resync, kb, folder, user)
        return (_summary(report, f"Re-synced {folder}."), *self._listing(session, user))

    @staticmethod
    def _with_progress(progress: gr.Progress, what: str, fn, *args) -> IngestReport:
        """Runs `fn(*args, tick)` in a worker while this thread reports its ticks to the progress bar
        (gr.Progress only works from the handler's own thread)."""
        seen = [0, None]
        progress((0, None), desc=what, unit="files")

        def tick(done: int, total: int | None) -> None:
            seen[0], seen[1] = done, total

        with ThreadPoolExecutor(1, thread_name_prefix="ingest") as pool:
            future = pool.submit(fn, *args, tick)
            while not future.done():
                time.sleep(PROGRESS_REFRESH_S)
                progress((seen[0], seen[1]), desc=f"{what}: {seen[0]} read" + (f" of {seen[1]}" if seen[1] else ""),
                         unit="files")
            try:
                return future.result()
            except AssistantError as exc:
                raise gr.Error(str(exc)) from None


def _summary(report: IngestReport, scope: str) -> str:
    lines = [f"✓ Ingest finished in {report.seconds:.1f} s: {report.documents_added} added, "
             f"{report.documents_updated} updated, {report.documents_unchanged} unchanged, "
             f"{report.documents_pruned} removed, {report.chunks_added} passage(s) indexed. {scope}"]
    if report.errors:
        lines.append(f"\n**{len(report.errors)} input(s) not ingested** (nothing already in the knowledge base "
                     "was lost):")
        lines += [f"- `{html.escape(Path(e['source']).name or e['source'])}`: {html.escape(e['error'])}"
                  for e in report.errors]
    if report.warnings:
        lines.append("\n**Warnings:**")
        lines += [f"- `{html.escape(Path(w['source']).name)}`: {html.escape(w['warning'])}" for w in report.warnings]
    if report.skipped:
        lines.append(f"\n**{len(report.skipped)} file(s) not read** (no reader for them):")
        lines += [f"- `{html.escape(Path(s['source']).name)}`: {html.escape(s['reason'])}" for s in report.skipped]
    return "\n".join(lines)
