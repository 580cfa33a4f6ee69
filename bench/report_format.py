"""How the report is written: blocks (headings, paragraphs, lists, tables, charts)
turned into Markdown and into one self-contained HTML page (no external URLs)."""

import html
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.results import Interval, Ratio

DASH = "\u2013"  # en dash: no value
TIMES = "\u00d7"  # multiplication sign in ratios


def num(x: float | None) -> str:
    if x is None or math.isnan(x):
        return DASH
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def interval(iv: Interval) -> str:
    """ "median [lo, hi]" (just the median with one repetition)."""
    if iv.median is None:
        return DASH
    if iv.lo is None or iv.hi is None:
        return num(iv.median)
    return f"{num(iv.median)} [{num(iv.lo)}, {num(iv.hi)}]"


def ratio(r: Ratio) -> str:
    if r.point is None:
        return DASH
    if r.lo is None or r.hi is None:
        return f"{r.point:.2f}{TIMES} (n={r.n})"
    return f"{r.point:.2f}{TIMES} [{_bound(r.lo)}, {_bound(r.hi)}]"


def _bound(x: float) -> str:
    """Two decimals, three where two would print 1.00 for a bound that is not 1: a verdict
    beside "[1.00, 1.14]" would look like it ignored its own interval."""
    text = f"{x:.2f}"
    if text != "1.00" or x == 1:
        return text
    return f"{x:.3f}" if round(x, 3) != 1 else f"{x:.4f}"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min {s:02d} s" if h else f"{m} min {s:02d} s"


@dataclass
class Heading:
    level: int
    text: str
    only: str | None = None  # "md" or "html": shown in one format only


@dataclass
class Para:
    text: str
    only: str | None = None


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    # Optional header groups (short label for Markdown, full label for HTML, column span).
    groups: list[tuple[str, str, int]] = field(default_factory=list)
    # Said instead of the table when it has no rows: no report shows an empty table.
    empty: str = "Nothing of this kind ran in this run."


@dataclass
class Chart:
    kind: str  # throughput | latency | timeline | usage
    title: str
    svg: str
    only: str | None = "html"  # Markdown has no images


Block = Heading | Para | Bullets | Table | Chart

# ----------------------------------------------------------------- rendering


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(items: Sequence[Block]) -> str:
    out: list[str] = []
    for b in items:
        if isinstance(b, Chart | Heading | Para) and b.only not in (None, "md"):
            continue
        if isinstance(b, Heading):
            out += [f"{'#' * b.level} {b.text}", ""]
        elif isinstance(b, Para):
            out += [b.text, ""]
        elif isinstance(b, Bullets):
            out += [*(f"- {i}" for i in b.items), ""]
        elif isinstance(b, Table) and not b.rows:
            out += [b.empty, ""]
        elif isinstance(b, Table):
            heads = list(b.headers)
            col = 0
            for short, _, span in b.groups:
                for i in range(col, col + span):
                    heads[i] = f"{short}: {heads[i]}" if short else heads[i]
                col += span
            out.append("| " + " | ".join(map(_md_cell, heads)) + " |")
            out.append("|" + "---|" * len(heads))
            out += ["| " + " | ".join(map(_md_cell, r)) + " |" for r in b.rows]
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def inline_svg(svg: str) -> str:
    """Matplotlib's SVG made fit to sit inside HTML: no XML prolog or DOCTYPE, no RDF
    metadata, no namespace declarations (HTML does not need them)."""
    body = svg[svg.index("<svg") :]
    body = re.sub(r"<metadata>.*?</metadata>\s*", "", body, flags=re.S)
    body = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", body)
    return body.strip()


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } th.group { text-align: center; background: #e6e6e6; }
tr:nth-child(even) td { background: #fafafa; }
.scroll { overflow-x: auto; }
figure.chart { margin: 1rem 0; } figure.chart svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: #555; }
"""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def to_html(items: Sequence[Block], title: str) -> str:
    e: Callable[[str], str] = html.escape
    seen: Counter[str] = Counter()

    def anchor(text: str) -> str:
        slug = _slug(text)
        seen[slug] += 1
        return slug if seen[slug] == 1 else f"{slug}-{seen[slug]}"

    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{e(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
    ]
    for b in items:
        if isinstance(b, Heading | Para) and b.only not in (None, "html"):
            continue
        if isinstance(b, Heading):
            out.append(f'<h{b.level} id="{anchor(b.text)}">{e(b.text)}</h{b.level}>')
        elif isinstance(b, Para):
            out.append(f"<p>{e(b.text)}</p>")
        elif isinstance(b, Bullets):
            out += ["<ul>", *(f"<li>{e(i)}</li>" for i in b.items), "</ul>"]
        elif isinstance(b, Table) and not b.rows:
            out.append(f"<p>{e(b.empty)}</p>")
        elif isinstance(b, Table):
            out += ['<div class="scroll"><table>', "<thead>"]
            if b.groups:
                cells = "".join(
                    f'<th class="group" colspan="{n}">{e(full)}</th>' for _, full, n in b.groups
                )
                out.append(f"<tr>{cells}</tr>")
            out.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in b.headers) + "</tr>")
            out.append("</thead><tbody>")
            out += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in b.rows]
            out.append("</tbody></table></div>")
        else:
            out.append(f'<figure class="chart {b.kind}" id="{anchor("chart " + b.title)}">')
            out += [inline_svg(b.svg), f"<figcaption>{e(b.title)}</figcaption>", "</figure>"]
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
