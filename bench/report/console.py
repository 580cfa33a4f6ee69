"""The report's blocks drawn on a terminal by rich: headings as rules, tables as tables;
charts and HTML-only blocks are left to the page."""

from collections.abc import Iterator, Sequence

from rich.console import RenderableType
from rich.rule import Rule
from rich.table import Table as RichTable
from rich.text import Text

from bench.report.blocks import Block, Bullets, Chart, Heading, Para, Table


def table(b: Table, title: str | None = None) -> RichTable:
    shown = RichTable(title=title, show_lines=False)
    heads = list(b.headers)
    col = 0
    for short, _, span in b.groups:  # the group's name on its first column
        if short:
            heads[col] = f"{short}: {heads[col]}"
        col += span
    for n, name in enumerate(heads):
        numeric = any(r[n][:1].isdigit() for r in b.rows if len(r) > n)
        shown.add_column(name, justify="right" if numeric else "left", overflow="fold")
    for r in b.rows:
        shown.add_row(*r)
    return shown


def renderables(items: Sequence[Block]) -> Iterator[RenderableType]:
    for b in items:
        if isinstance(b, Chart) or (isinstance(b, Heading | Para) and b.only == "html"):
            continue
        if isinstance(b, Heading):
            yield (
                Rule(Text(b.text, style="bold"), align="left")
                if b.level <= 2
                else Text(b.text, style="bold")
            )
        elif isinstance(b, Para):
            yield Text(b.text)
        elif isinstance(b, Bullets):
            yield Text("\n".join(f"- {i}" for i in b.items))
        elif isinstance(b, Table):
            yield table(b) if b.rows else Text(b.empty)
