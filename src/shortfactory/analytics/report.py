"""``analytics/report.html``: what worked, one self-contained page.

Signals against age-corrected performance (one scatter per signal with its fitted
effect), the weights before and after with the bootstrap agreement, the trigger words
with their counts and z-scores, length and pacing of the top Shorts against the rest,
and the top and bottom Shorts with their thumbnails and features. Plots are PNGs drawn
by matplotlib (Agg, no display) and embedded as data URIs, so the page can be mailed.
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from shortfactory.analytics.features import SIGNALS, ClipFeatures
from shortfactory.core.io import write_text_atomic

if TYPE_CHECKING:
    from shortfactory.analytics.tune import TuneResult

SHOWN = 5  # top and bottom Shorts shown


def _png(fig: object) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def signal_plots(table: list[ClipFeatures], performance: np.ndarray,
                 effects: dict[str, float]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(SIGNALS), figsize=(3.2 * len(SIGNALS), 3), sharey=True)
    for ax, name in zip(axes, SIGNALS, strict=True):
        x = np.array([f.signals[name] for f in table])
        ax.scatter(x, performance, s=12, alpha=0.6)
        if len(x) > 1 and name in effects:
            xs = np.linspace(0, 1, 2)
            ax.plot(xs, performance.mean() + effects[name] * (xs - x.mean()), color="C3")
        ax.set_title(f"{name} (effect {effects.get(name, 0):+.2f})", fontsize=9)
        ax.set_xlabel("signal")
    axes[0].set_ylabel("performance (age-corrected, z)")
    return _png(fig)


def weight_plot(result: TuneResult) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fit = result.weights
    x = np.arange(len(SIGNALS))
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(x - 0.27, [fit.current[s] for s in SIGNALS], 0.27, label="current")
    ax.bar(x, [fit.target[s] for s in SIGNALS], 0.27, label="fitted")
    ax.bar(x + 0.27, [fit.proposed[s] for s in SIGNALS], 0.27, label="proposed")
    ax.set_xticks(x, SIGNALS)
    ax.set_ylabel("weight")
    ax.legend(fontsize=8)
    return _png(fig)


def _thumb(path: str) -> str:
    if not path or not Path(path).exists():
        return ""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" width="90">'


def _row(feat: ClipFeatures, perf: float) -> str:
    cells = [_thumb(feat.thumbnail), html.escape(f"{feat.episode}/{feat.clip_id}"),
             html.escape(feat.title[:80]), f"{feat.views:,.0f}",
             "" if feat.avg_pct is None else f"{feat.avg_pct:.0f} %", f"{feat.age_days:.0f}",
             f"{perf:+.2f}", *(f"{feat.signals[s]:.2f}" for s in SIGNALS),
             f"{feat.length_s:.0f}", f"{feat.words_per_s:.1f}"]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def write_report(path: str | Path, result: TuneResult, *, recipe_path: str, tuned_path: str,
                 note: str) -> None:
    """Write the page atomically."""
    table, perf, fit = result.table, result.performance, result.weights
    esc = html.escape
    parts = [f"<!doctype html><meta charset='utf-8'><title>shortfactory analytics "
             f"{esc(result.day)}</title><style>body{{font:14px sans-serif;margin:2em}}"
             "td,th{padding:2px 8px;text-align:right}table{border-collapse:collapse}"
             "tr:nth-child(even){background:#f4f4f4}img{max-width:100%}</style>",
             f"<h1>What worked: {len(table)} Shorts</h1><p>{esc(note)}. Recipe "
             f"<code>{esc(recipe_path)}</code> &rarr; <code>{esc(tuned_path)}</code> "
             "(review the diff below, then adopt).</p>"]
    if len(table) >= 2:
        parts.append("<h2>Signals against performance</h2>"
                     f"<img src='{signal_plots(table, perf, fit.effects)}'>")
    parts.append("<h2>Weights</h2>")
    if fit.refused:
        parts.append(f"<p><b>Not moved:</b> {esc(fit.refused)}</p>")
    else:
        parts.append(f"<img src='{weight_plot(result)}'>")
    parts.append("<table><tr><th>signal</th><th>current</th><th>fitted</th><th>proposed</th>"
                 "<th>effect / unit</th><th>resamples agreeing</th></tr>")
    for s in SIGNALS:
        sure = f"{fit.confidence[s]:.0%}" if fit.confidence else "-"
        parts.append(f"<tr><td>{s}</td><td>{fit.current[s]:.3f}</td><td>{fit.target[s]:.3f}"
                     f"</td><td>{fit.proposed[s]:.3f}</td><td>{fit.effects[s]:+.3f}</td>"
                     f"<td>{sure}</td></tr>")
    parts.append(f"</table><p>Publish-age effect: {fit.age_effect:+.3f} per standard "
                 "deviation of log days since publishing.</p>")
    trig = result.triggers
    parts.append("<h2>Trigger words</h2>")
    if trig.refused:
        parts.append(f"<p><b>Not moved:</b> {esc(trig.refused)}</p>")
    else:
        cut = (f"a word needs p &le; {trig.threshold_p:.2g} (false discovery rate "
               "corrected)" if trig.threshold_p else "no word passes the false discovery "
               "rate correction: none is added or strengthened")
        parts.append(f"<p>Top Shorts: {trig.top_count} of {len(table)}; "
                     f"{trig.effective:g} effective Shorts (near-copies counted once); "
                     f"{cut}.</p><table><tr>"
                     "<th>word</th><th>before</th><th>after</th><th>why</th></tr>")
        for c in trig.changes:
            old = "new" if c.old is None else f"{c.old:g}"
            new = "removed" if c.new is None else f"{c.new:g}"
            parts.append(f"<tr><td>{esc(c.word)}</td><td>{old}</td><td>{new}</td>"
                         f"<td style='text-align:left'>{esc(c.reason)}</td></tr>")
        parts.append("</table><h3>Strongest words (z)</h3><table><tr><th>word</th>"
                     "<th>top</th><th>rest</th><th>log-odds</th><th>z</th></tr>")
        for st in sorted(trig.stats.values(), key=lambda s: -s.z)[:15]:
            parts.append(f"<tr><td>{esc(st.word)}</td><td>{st.top}</td><td>{st.rest}</td>"
                         f"<td>{st.delta:+.2f}</td><td>{st.z:+.2f}</td></tr>")
        parts.append("</table>")
    ln = result.length

    def num(v: float, unit: str = "") -> str:
        return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else \
            f"{v:.1f}{unit}"

    parts.append("<h2>Length and pacing</h2><table><tr><th></th><th>top</th><th>rest</th>"
                 f"</tr><tr><td>length</td><td>{num(ln.top_median, ' s')}</td>"
                 f"<td>{num(ln.rest_median, ' s')}</td></tr><tr><td>words per second</td>"
                 f"<td>{num(ln.top_words_per_s)}</td><td>{num(ln.rest_words_per_s)}</td></tr>"
                 f"<tr><td>caption characters per second</td><td>{num(ln.top_cps)}</td>"
                 f"<td>{num(ln.rest_cps)}</td></tr></table><p>target_length_s "
                 f"{ln.current:g} &rarr; {ln.proposed:g}</p>")
    order = np.argsort(-perf, kind="stable") if len(table) else []
    head = ("<tr><th></th><th>clip</th><th>title</th><th>views</th><th>avg %</th>"
            "<th>days</th><th>perf</th>" + "".join(f"<th>{s}</th>" for s in SIGNALS)
            + "<th>s</th><th>words/s</th></tr>")
    for name, picks in (("Top", order[:SHOWN]), ("Bottom", order[::-1][:SHOWN])):
        parts.append(f"<h2>{name} Shorts</h2><table>{head}")
        parts += [_row(table[i], float(perf[i])) for i in picks]
        parts.append("</table>")
    parts.append(f"<h2>Diff</h2><pre>{esc(result.diff) or 'no change'}</pre>")
    write_text_atomic(path, "\n".join(parts) + "\n")
