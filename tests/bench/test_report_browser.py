"""The report as a reader sees it: opened in headless Chromium, its answer comes first,
with the answer table and the forest plot laid out at a real size, every chart drawn."""

import json
from pathlib import Path

import pytest

from bench import report
from tests.bench.test_report import make_summary
from tests.helpers.browser import chromium, page

pytestmark = pytest.mark.skipif(chromium() is None, reason="chromium is not installed")

LAYOUT = """JSON.stringify({
  headings: [...document.querySelectorAll('h2')].map(h => h.textContent),
  answerTableRows: document.querySelector('#the-answer ~ table').rows.length,
  answerTop: document.querySelector('#the-answer').getBoundingClientRect().top,
  charts: [...document.querySelectorAll('figure.chart')].map(f => {
    const svg = f.querySelector('svg').getBoundingClientRect();
    return {kind: f.className, width: svg.width, height: svg.height,
            marks: f.querySelectorAll('svg path, svg use, svg line').length};
  }),
})"""


def test_summary_and_charts_render(tmp_path: Path) -> None:
    make_summary().dump(tmp_path)
    _, html = report.render(tmp_path)
    with page(html.resolve().as_uri()) as p:
        layout = json.loads(p.evaluate(LAYOUT))
    assert layout["headings"][0] == "The answer"
    assert layout["answerTop"] < 400  # on the first screen
    assert layout["answerTableRows"] == 1 + 4  # a header row, a row per scenario x model
    kinds = [c["kind"] for c in layout["charts"]]
    assert kinds[0] == "chart forest" and {"chart throughput", "chart cost"} <= set(kinds)
    for chart in layout["charts"]:
        assert chart["width"] > 200 and chart["height"] > 100, chart
        assert chart["marks"] > 10, chart  # axes, bars, points: drawn, not an empty box


LATENCY = """JSON.stringify({
  h3: [...document.querySelectorAll('h3')].map(h => h.textContent),
  tables: [...document.querySelectorAll('#latency-under-open-load ~ table')].map(t => ({
    rows: t.rows.length, width: t.getBoundingClientRect().width})),
  forest: [...document.querySelectorAll('figure.chart.latency')].map(f => {
    const svg = f.querySelector('svg').getBoundingClientRect();
    return {width: svg.width, height: svg.height,
            marks: f.querySelectorAll('svg path, svg use, svg line').length,
            text: f.textContent};
  }),
})"""


def test_latency_section_and_its_forest_plot_render(tmp_path: Path) -> None:
    make_summary(latency=True).dump(tmp_path)
    _, html = report.render(tmp_path)
    with page(html.resolve().as_uri()) as p:
        layout = json.loads(p.evaluate(LATENCY))
    assert "Latency under open load" in layout["h3"]
    # the p99 ratios (a header row, a row per scenario x share), then each variant's figures
    assert [t["rows"] for t in layout["tables"][:2]] == [1 + 2, 1 + 8]
    assert all(t["width"] > 300 for t in layout["tables"][:2])
    [forest] = layout["forest"]
    assert forest["width"] > 200 and forest["height"] > 100
    assert forest["marks"] > 10 and "end-to-end p99" in forest["text"]
