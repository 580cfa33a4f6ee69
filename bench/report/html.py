"""The report as one self-contained HTML page: the blocks' Markdown rendered by markdown-it
(CommonMark + tables), every chart inlined as <svg>, headings with ids, nothing outside."""

import html
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt

from bench.report.blocks import Block, Chart, to_markdown

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.85rem;
        display: block; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
tr:nth-child(even) td { background: #fafafa; }
figure.chart { margin: 1rem 0; } figure.chart svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: #555; }
"""


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def inline_svg(svg: str) -> str:
    """Matplotlib's SVG made fit to sit inside HTML: no XML prolog or DOCTYPE, no RDF
    metadata, no namespace declarations, no blank line (it would end the HTML block)."""
    body = svg[svg.index("<svg") :]
    body = re.sub(r"<metadata>.*?</metadata>\s*", "", body, flags=re.S)
    body = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", body)
    return "\n".join(line for line in body.strip().splitlines() if line.strip())


class Page:
    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.md = MarkdownIt("commonmark", {"html": True}).enable("table")

        def heading(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
            # markdown-it calls a rule as a method of its renderer: `self` is the page here.
            return f'<{tokens[idx].tag} id="{self.anchor(tokens[idx + 1].content)}">'

        self.md.add_render_rule("heading_open", heading)

    def anchor(self, text: str) -> str:
        key = slug(text)
        self.seen[key] += 1
        return key if self.seen[key] == 1 else f"{key}-{self.seen[key]}"

    def figure(self, chart: Chart) -> str:
        name = self.anchor("chart " + chart.title)
        caption = html.escape(chart.title)
        return (
            f'<figure class="chart {chart.kind}" id="{name}">\n{inline_svg(chart.svg)}\n'
            f"<figcaption>{caption}</figcaption>\n</figure>"
        )

    def render(self, items: Sequence[Block], title: str) -> str:
        body = self.md.render(to_markdown(items, figure=self.figure))
        head = f'<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n<style>{CSS}</style>'
        page = ["<!DOCTYPE html>", '<html lang="en">', "<head>", head, "</head>", "<body>"]
        return "\n".join([*page, body + "</body>", "</html>"]) + "\n"


def to_html(items: Sequence[Block], title: str) -> str:
    return Page().render(items, title)
