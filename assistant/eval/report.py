"""report.json (every number, for scripts), report.md (for people) and the PNG plots, in one folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from assistant.eval.stats import Interval, Metric, compare, summarise

_IMAGE = re.compile(r"^!\[[^\]]*\]\([^)]*\)\s*$", re.M)


def without_images(markdown: str) -> str:
    """report.md's text without its image lines (the plots are shown apart, or not at all)."""
    return _IMAGE.sub("", markdown).rstrip()


def _cell(interval: dict | None, seconds: bool = False) -> str:
    if not interval:
        return "n/a"
    fmt = (lambda v: f"{v:.3f} s") if seconds else (lambda v: f"{v:.3f}")
    return f"{fmt(interval['value'])} [{fmt(interval['low'])}, {fmt(interval['high'])}]"


def _difference(interval: dict | None, seconds: bool) -> str:
    """Seconds (the latency metrics) are the one kind where lower is better."""
    if not interval:
        return "n/a"
    sign = "+" if interval["value"] >= 0 else ""
    text = f"{sign}{_cell(interval, seconds)}"
    if Interval(**interval).excludes_zero:
        better = (interval["value"] < 0) == seconds
        text += " **better**" if better else " **worse**"
    return text


def build(meta: dict, scores: dict[str, dict[str, Metric]], seed: int = 0) -> dict:
    """meta: command, data, kb, ... ; scores[variant][metric]: per-question values."""
    variants = list(scores)
    summary = {v: {name: s.to_dict() for name, m in scores[v].items() if (s := summarise(m, seed))}
               for v in variants}
    report = {**meta, "variants": variants, "summary": summary}
    if len(variants) == 2:
        a, b = (scores[v] for v in variants)
        report["comparison"] = {name: d.to_dict() for name in a if name in b
                                if (d := compare(a[name], b[name], seed)) is not None}
    return report


def write(out: Path, report: dict, scores: dict[str, dict[str, Metric]], calibration: dict | None = None,
          notes: list[str] = ()) -> Path:
    from assistant.eval import (
        plots,  # matplotlib: only when writing, not for reading a report (the web page)
    )

    out.mkdir(parents=True, exist_ok=True)
    title = f"{report['command']} · {Path(str(report['data']).split(' + ')[0]).name}"
    figures = {"metrics": plots.metric_bars(report["summary"], out / "metrics.png", f"{title}: metrics")}
    if "comparison" in report and report["comparison"]:
        figures["differences"] = plots.differences(report["comparison"], out / "differences.png",
                                                   f"{title}: {report['variants'][1]} − {report['variants'][0]}")
    per_question = _per_question(scores)
    if per_question:
        figures["distributions"] = plots.distributions(per_question, out / "distributions.png",
                                                       f"{title}: per-question distributions")
    if calibration:
        figures["calibration"] = plots.calibration(calibration, out / "calibration.png", f"{title}: verifier calibration")
        report["calibration"] = calibration
    report["figures"] = {k: v for k, v in figures.items()}
    (out / "report.json").write_text(json.dumps(report, indent=1, default=_jsonable) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(report, scores, notes), encoding="utf-8")
    return out


def _per_question(scores: dict[str, dict[str, Metric]]) -> dict[str, dict[str, np.ndarray]]:
    """Metrics with one value per question (not set statistics) that vary: worth a histogram."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for variant, metrics in scores.items():
        for name, m in metrics.items():
            values = np.asarray(m.values, float)
            if m.statistic is None and values.ndim == 1:
                out.setdefault(name, {})[variant] = values
    def varied(series: dict[str, np.ndarray]) -> bool:
        values = np.concatenate(list(series.values()))
        return np.unique(values[~np.isnan(values)]).size > 2  # 0/1 outcomes read better as a bar

    return {name: v for name, v in out.items() if name.startswith("latency") or varied(v)}


def _jsonable(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def markdown(report: dict, scores: dict[str, dict[str, Metric]], notes: list[str] = ()) -> str:
    variants = report["variants"]
    lines = [f"# Evaluation: `{report['command']}` on {report['data']}", ""]
    lines += [f"- {key}: {report[key]}" for key in ("questions", "kb", "k", "seconds", "created") if key in report]
    lines += ["", "Mean over questions with a 95 % bootstrap interval (2,000 resamples of the questions, seeded)."]
    compared = "comparison" in report
    if compared:
        lines.append(f"Difference = {variants[1]} − {variants[0]} on the same questions (paired bootstrap); "
                     "**better**/**worse** where the interval excludes 0.")
    lines += ["", "| metric | " + " | ".join(variants) + (" | difference |" if compared else " |"),
              "|---" * (len(variants) + 1 + compared) + "|"]
    names = dict.fromkeys(n for v in variants for n in report["summary"][v])
    for name in names:
        seconds = name.startswith("latency")
        row = [_cell(report["summary"][v].get(name), seconds) for v in variants]
        if compared:
            row.append(_difference(report["comparison"].get(name), seconds))
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    if report.get("calibration"):
        for variant, c in report["calibration"].items():
            lines += ["", f"Verifier ({variant}): expected calibration error {c['ece']:.3f}; per label:", "",
                      "| gold label | precision | recall | pairs |", "|---|---|---|---|"]
            lines += [f"| {label} | {v['precision']:.3f} | {v['recall']:.3f} | {v['support']} |"
                      for label, v in c["per_label"].items()]
    lines += ["", *[f"{n}" for n in notes], ""] if notes else [""]
    lines += [f"![{name}]({file})" for name, file in report["figures"].items()]
    return "\n".join(lines) + "\n"
