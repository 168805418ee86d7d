"""PNG figures for a report (matplotlib, Agg: no display needed). Each has a title, labelled axes and,
where several configurations are drawn, a legend."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

COLOURS = ("#1565c0", "#ef6c00")


def _save(fig, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def _groups(names: list[str]) -> list[tuple[str, list[str]]]:
    """Scores (0..1) and latencies (seconds) go on separate axes: their scales differ by orders."""
    groups = [("score", [m for m in names if not m.startswith("latency")]),
              ("seconds", [m for m in names if m.startswith("latency")])]
    return [(unit, ms) for unit, ms in groups if ms]


def metric_bars(summary: dict[str, dict[str, dict]], path: Path, title: str) -> str:
    """summary[variant][metric] = interval dict."""
    variants = list(summary)
    names = list(dict.fromkeys(m for v in variants for m in summary[v]))
    groups = _groups(names)
    fig, axes = plt.subplots(1, len(groups), figsize=(4 + 1.1 * len(names), 5),
                             gridspec_kw={"width_ratios": [len(ms) for _, ms in groups]}, squeeze=False)
    width = 0.8 / len(variants)
    for ax, (unit, ms) in zip(axes[0], groups):
        x = np.arange(len(ms))
        for i, variant in enumerate(variants):
            cells = [summary[variant].get(m) for m in ms]
            values = np.array([c["value"] if c else np.nan for c in cells])
            errors = np.array([[c["value"] - c["low"], c["high"] - c["value"]] if c else [0, 0] for c in cells]).T
            ax.bar(x + (i - (len(variants) - 1) / 2) * width, values, width, yerr=errors, capsize=4,
                   color=COLOURS[i % len(COLOURS)], label=variant)
        ax.set_xticks(x, [m.replace("_", " ") for m in ms], rotation=30, ha="right")
        ax.set_ylabel(unit if unit == "seconds" else "score (mean, 95% bootstrap CI)")
        if unit == "score":
            ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, title="configuration", loc="upper right", ncol=len(variants), fontsize=8)
    fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    return _save(fig, path)


def differences(comparison: dict[str, dict], path: Path, title: str) -> str:
    """Per metric, b − a with its paired-bootstrap interval; the zero line marks no difference."""
    groups = _groups(list(comparison))
    fig, axes = plt.subplots(len(groups), 1, figsize=(8, 1.6 + 0.5 * len(comparison) + 0.8 * len(groups)),
                             gridspec_kw={"height_ratios": [len(ms) for _, ms in groups]}, squeeze=False)
    for ax, (unit, names) in zip(axes[:, 0], groups):
        y = np.arange(len(names))
        diff = np.array([comparison[m]["value"] for m in names])
        err = np.array([[comparison[m]["value"] - comparison[m]["low"], comparison[m]["high"] - comparison[m]["value"]]
                        for m in names]).T
        ax.errorbar(diff, y, xerr=err, fmt="o", color=COLOURS[0], capsize=4, label="difference, 95% CI")
        ax.axvline(0, color="grey", lw=1, label="no difference")
        ax.set_yticks(y, [m.replace("_", " ") for m in names])
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.set_xlabel(f"difference in {unit} (second − first configuration)")
        ax.grid(axis="x", alpha=0.3)
    axes[0, 0].legend(loc="best", fontsize=8)
    axes[0, 0].set_title(title)
    return _save(fig, path)


def distributions(values: dict[str, dict[str, np.ndarray]], path: Path, title: str) -> str:
    """values[metric][variant] = per-question values: one histogram panel per metric."""
    names = list(values)
    cols = min(len(names), 3)
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(4.2 * cols, 7), 3.2 * rows + 0.6), squeeze=False)
    for ax, name in zip(axes.flat, names):
        for i, (variant, v) in enumerate(values[name].items()):
            v = v[~np.isnan(v)]
            ax.hist(v, bins=20, alpha=0.6, color=COLOURS[i % len(COLOURS)], label=f"{variant} (n={len(v)})")
        ax.set_title(name.replace("_", " "), fontsize=10)
        ax.set_xlabel("seconds" if name.startswith("latency") else "per-question value")
        ax.set_ylabel("questions")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.suptitle(title)
    return _save(fig, path)


def calibration(curves: dict[str, dict], path: Path, title: str) -> str:
    """Reliability curve (observed share supported per score bin) and the scores by gold label."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    left.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    for i, (variant, c) in enumerate(curves.items()):
        left.plot(c["predicted"], c["observed"], "o-", color=COLOURS[i % len(COLOURS)],
                  label=f"{variant} (ECE {c['ece']:.3f})")
    if len(curves) == 1:
        c = next(iter(curves.values()))
        for x, y, n in zip(c["predicted"], c["observed"], c["count"]):
            left.annotate(str(n), (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    left.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="predicted P(supported), bin mean",
             ylabel="observed share supported", title="reliability curve (numbers: pairs per bin)")
    left.legend(fontsize=8, loc="upper left")
    variant, first = next(iter(curves.items()))
    for label, scores in first["by_label"].items():
        if scores:
            right.hist(scores, bins=20, range=(0, 1), alpha=0.55, label=f"gold {label} (n={len(scores)})")
    if "threshold" in first:
        right.axvline(first["threshold"], color="black", lw=1, ls=":", label=f"threshold {first['threshold']:.3f}")
    right.set(xlabel="P(supported)", ylabel="pairs", title=f"scores by gold label ({variant})")
    right.legend(fontsize=8)
    fig.suptitle(title)
    return _save(fig, path)
