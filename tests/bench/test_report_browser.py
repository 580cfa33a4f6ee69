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
