"""The web page's "Evaluation" tab: the report folders `assistant eval` wrote under one directory, each
shown as its report.md with the plots below it."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from assistant.eval.report import without_images


def report_folders(root: str | Path) -> list[str]:
    """Folders holding a report.md, up to two levels below `root`, newest first, relative to it."""
    root = Path(root)
    found = [p.parent for pattern in ("*/report.md", "*/*/report.md") for p in root.glob(pattern)]
    found.sort(key=lambda p: (p / "report.md").stat().st_mtime, reverse=True)
    return [p.relative_to(root).as_posix() for p in found]


def load_report(root: str | Path, name: str | None) -> tuple[str, list[tuple[str, str]]]:
    """(markdown without its image lines, [(png path, caption)]) of one report folder."""
    if not name:
        return "No report selected. Run e.g. `assistant eval retrieval --data Q.jsonl --kb KB --out " \
               f"{root}/my-run` and press Refresh.", []
    folder = (Path(root) / name).resolve()
    if Path(root).resolve() not in folder.parents or not (folder / "report.md").is_file():
        return f"No report at {name}: expected a folder with report.md under {root}.", []
    text = without_images((folder / "report.md").read_text(encoding="utf-8"))
    return text, [(str(png), png.stem) for png in sorted(folder.glob("*.png"))]


def add_tab(root: str | Path) -> None:
    """Inside a gr.Blocks: the tab, reading `root` afresh on Refresh."""
    with gr.Tab("Evaluation", elem_id="evaluation-tab"):
        gr.Markdown(f"Reports written by `assistant eval ... --out DIR` under `{root}`.")
        with gr.Row():
            choices = report_folders(root)
            picker = gr.Dropdown(choices, value=choices[0] if choices else None, label="Report",
                                 elem_id="report-picker", scale=4)
            refresh = gr.Button("Refresh", scale=1)
        text, images = load_report(root, choices[0] if choices else None)
        body = gr.Markdown(text, elem_id="report-body")
        gallery = gr.Gallery(images, label="Plots", columns=1, height="auto", object_fit="contain",
                             elem_id="report-plots")

        def refreshed():
            names = report_folders(root)
            return gr.Dropdown(choices=names, value=names[0] if names else None)

        picker.change(lambda name: load_report(root, name), inputs=picker, outputs=[body, gallery])
        refresh.click(refreshed, outputs=picker)
