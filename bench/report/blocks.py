"""What a report is made of: headings, paragraphs, lists, tables and charts, written as
Markdown. The HTML page (bench/report/html.py) is that Markdown rendered by markdown-it, the
console view (bench/report/console.py) the same blocks drawn by rich: one source for all."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


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


def _text(text: str) -> str:
    """Prose as Markdown: a `<` that could open a tag escaped, so "<queue>" stays text."""
    return re.sub(r"<(?=[A-Za-z/!?])", r"\\<", text)


def _cell(text: str) -> str:
    return _text(text.replace("\\", "\\\\")).replace("|", "\\|").replace("\n", " ")


def _table(b: Table) -> list[str]:
    heads = list(b.headers)
    col = 0
    for short, _, span in b.groups:
        for i in range(col, col + span):
            heads[i] = f"{short}: {heads[i]}" if short else heads[i]
        col += span
    lines = ["| " + " | ".join(map(_cell, heads)) + " |", "|" + "---|" * len(heads)]
    return [*lines, *("| " + " | ".join(map(_cell, r)) + " |" for r in b.rows), ""]


def to_markdown(items: Sequence[Block], figure: Callable[[Chart], str] | None = None) -> str:
    """The blocks as Markdown. With `figure` (the HTML page), charts and html-only blocks are
    in too, each chart as the raw HTML `figure` gives; without, the .md file's content."""
    target = "html" if figure else "md"
    out: list[str] = []
    for b in items:
        if isinstance(b, Chart | Heading | Para) and b.only not in (None, target):
            continue
        if isinstance(b, Heading):
            out += [f"{'#' * b.level} {_text(b.text)}", ""]
        elif isinstance(b, Para):
            out += [_text(b.text), ""]
        elif isinstance(b, Bullets):
            out += [*(f"- {_text(i)}" for i in b.items), ""]
        elif isinstance(b, Table):
            out += _table(b) if b.rows else [_text(b.empty), ""]
        elif figure is not None:
            out += [figure(b), ""]
    return "\n".join(out).rstrip("\n") + "\n"
