"""The map and report rendered in a real headless Chromium (Debian ``chromium``, driven by
Playwright): the Leaflet map exists, every named layer is in the layer control, every facility
marker is drawn, popups open, no JavaScript error, and the self-contained file renders with all
network access blocked. Screenshots are saved in the test's temporary folder.

Skipped when Chromium or Playwright is missing, except in CI (``CI`` set), where that fails.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tcm_coverage.outputs import save_map
from tcm_coverage.workflows import build_map, write_reports

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def _missing(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI must install it: see .ci/run)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    if CHROMIUM is None:
        _missing("Debian chromium is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, path: Path, *, offline: bool, shot: Path):
    """Load a file; return (page, console errors, blocked requests)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=offline)
    page = context.new_page()
    errors: list[str] = []
    blocked: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    if offline:
        def block(route):
            if route.request.url.startswith("file:") or route.request.url.startswith("data:"):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()
        page.route("**/*", block)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(500)
    page.screenshot(path=str(shot))
    return page, errors, blocked


MAP_JS = """() => {
  const name = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
  const map = window[name];
  let facilities = 0, uncovered = 0, polygons = 0;
  map.eachLayer(l => {
    if (l instanceof L.CircleMarker && l.feature) {
      if ('flag_ge' in l.feature.properties) facilities++;
      else if ('people' in l.feature.properties) uncovered++;
    }
    if (l instanceof L.Polygon) polygons++;
  });
  return {name, facilities, uncovered, polygons, zoom: map.getZoom()};
}"""


def test_default_map_opens_offline(browser, demo_computed, tmp_path):
    """The map as every command writes it by default (no --cdn): Leaflet inlined, drawn with
    the network off."""
    run, config = demo_computed
    assert config.rendering.self_contained  # the default setting
    path = save_map(build_map(run, config), tmp_path / "map.html",
                    self_contained=config.rendering.self_contained)
    page, errors, blocked = open_page(browser, path, offline=True, shot=tmp_path / "map.png")
    assert page.locator(".leaflet-container").count() == 1
    # tiles were requested and blocked; nothing the page needs to run was
    assert all("tile.openstreetmap.org" in u for u in blocked)
    assert errors == [] or all("tile.openstreetmap.org" in e or "ERR_" in e for e in errors), errors
    labels = [t.strip() for t in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]
    for name in ("等时圈：中医药服务点（电动自行车）", "等时圈：中医馆（电动自行车）", "等时圈：中医阁（电动自行车）",
                 "等时圈：县级中医医院（电动自行车）", "乡镇15分钟覆盖率", "乡镇界与名称", "县界", "15分钟外人口"):
        assert name in labels, labels
    assert any(label.startswith("村卫生室/社区卫生服务站") for label in labels)
    stats = page.evaluate(MAP_JS)
    assert stats["facilities"] == len(run.access.facilities) == 168
    assert stats["uncovered"] > 50 and stats["polygons"] > 10
    # township names are on the map
    assert page.locator(".tcm-town-label").count() == len(run.townships)
    # a facility popup opens with its details
    page.evaluate("""() => {
      const map = Object.values(window).find(v => v instanceof L.Map);
      map.eachLayer(l => { if (l.feature && l.feature.properties.name === '示例县中医医院')
                             l.fire('click', {latlng: l.getLatLng()}, true); });
    }""")
    popup = page.locator(".leaflet-popup-content")
    assert popup.count() == 1
    text = popup.inner_text()
    assert "示例县中医医院" in text and "中医执业医师" in text and "58" in text
    # the title block and legend are drawn
    assert "中医药服务点15分钟可达覆盖" in page.locator(".tcm-title").inner_text()
    assert "等时圈" in page.locator(".tcm-legend").inner_text()
    assert (tmp_path / "map.png").stat().st_size > 50_000


def test_cdn_map_fails_offline_but_self_contained_does_not(browser, demo_computed, tmp_path):
    """The --cdn page needs the Leaflet CDN: with the network off it cannot draw (the reason
    pages are self-contained by default)."""
    run, config = demo_computed
    path = save_map(build_map(run, config), tmp_path / "cdn.html", self_contained=False)
    page, errors, blocked = open_page(browser, path, offline=True, shot=tmp_path / "cdn.png")
    assert any("leaflet" in u for u in blocked)
    assert page.locator(".leaflet-container").count() == 0
    assert any("L is not defined" in e for e in errors)


def test_amap_map_renders(browser, demo_computed, tmp_path):
    run, config = demo_computed
    amap = config.updated(basemap="amap")
    path = save_map(build_map(run, amap, mode="walk", threshold=10, facility_set="zhongyige"),
                    tmp_path / "amap.html", self_contained=True)
    page, errors, _blocked = open_page(browser, path, offline=True, shot=tmp_path / "amap.png")
    assert [e for e in errors if "autonavi" not in e and "ERR_" not in e] == []
    assert "高德地图" in page.locator(".leaflet-control-layers-base").inner_text()
    latlng = page.evaluate("""() => {
      const map = Object.values(window).find(v => v instanceof L.Map);
      let out = null;
      map.eachLayer(l => { if (l.feature && l.feature.properties.name === '示例县中医医院')
                             out = l.getLatLng(); });
      return out;
    }""")
    # drawn at the GCJ-02 coordinates typed in the facility table
    assert latlng["lng"] == pytest.approx(112.897243, abs=2e-5)
    assert latlng["lat"] == pytest.approx(36.332081, abs=2e-5)


def test_report_renders_and_prints(browser, demo_computed, tmp_path):
    """The report as written by default (no --cdn), with the network off: its map draws."""
    run, config = demo_computed
    from tcm_coverage.outputs import map_html

    page_html = map_html(build_map(run, config, compact=True),
                         self_contained=config.rendering.self_contained)
    (path,) = write_reports(run, config, tmp_path, page_html)
    page, errors, _blocked = open_page(browser, path, offline=True, shot=tmp_path / "report.png")
    assert [e for e in errors if "tile.openstreetmap.org" not in e and "ERR_" not in e] == []
    assert page.locator("h1").inner_text().startswith("屯留区")
    # the cumulative chart (the first one; the fairness section adds a Lorenz chart): walk, e-bike
    assert page.locator("svg.chart").first.locator("polyline").count() == 2
    # by threshold, within capacity, townships, the referral chain, fairness, sensitivity
    heads = page.locator("h2").all_inner_texts()
    assert page.locator("table.grid").count() == 6, heads
    assert any(h.startswith("考虑服务能力") for h in heads) and any(h.startswith("公平性") for h in heads)
    frame = page.frame_locator("iframe.map")
    assert frame.locator(".leaflet-container").count() == 1
    assert frame.locator(".leaflet-control-layers").count() == 1
    drawn = page.frames[1].evaluate(MAP_JS)  # the embedded map's layers were drawn, offline
    assert drawn["facilities"] == 168 and drawn["polygons"] > 10, drawn
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf[:4] == b"%PDF"
    (tmp_path / "report.pdf").write_bytes(pdf)
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert 1 <= pages <= 10, pages


def test_names_from_the_input_are_text_not_markup(browser, demo_computed, tmp_path):
    """A facility and a township named like an XSS probe: the map's popup, tooltip and label
    and the report show the name as text; no image element is created, no script runs."""
    run, config = demo_computed
    probe = "<img src=x onerror=alert(1)>"
    fac = run.access.facilities.copy()
    fac.loc[fac["name"] == "示例县中医医院", "name"] = probe
    towns = run.townships.copy()
    towns.loc[towns.index[0], "name"] = probe
    town_table = run.tables.township.copy()
    town_table.loc[town_table["code"] == towns["code"].iloc[0], "name"] = probe
    tables = replace(run.tables, township=town_table)
    hostile = replace(run, access=replace(run.access, facilities=fac), townships=towns, tables=tables)
    # without isochrones the township choropleth (and its tooltip) is shown at first
    bare = replace(hostile, access=replace(hostile.access, isochrones=None))
    path = save_map(build_map(bare, config), tmp_path / "map.html", self_contained=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri(), wait_until="load")
    opened = page.evaluate("""(probe) => {
      const map = Object.values(window).find(v => v instanceof L.Map);
      let n = 0;
      map.eachLayer(l => {
        if (!l.feature) return;
        const p = l.feature.properties;
        if (p.name && p.name.includes('onerror') && p.flag_ge !== undefined) {
          l.fire('click', {latlng: l.getLatLng()}, true); n++;
        }
        if (p.label && p.label.includes('onerror') && l.getBounds) {  // the group's tooltip
          l.fire('mouseover', {latlng: l.getBounds().getCenter()}, true); n++;
        }
      });
      return n;
    }""", probe)
    page.wait_for_timeout(300)
    assert opened >= 2  # the facility's popup and the township's tooltip
    popup = page.locator(".leaflet-popup-content").inner_text()
    tooltips = " ".join(page.locator(".leaflet-tooltip").all_inner_texts())
    labels = page.locator(".tcm-town-label").all_inner_texts()
    assert probe in popup and probe in tooltips and probe in labels
    assert page.locator("img[src='x']").count() == 0 and dialogs == []
    # the report page (township table, embedded map)
    from tcm_coverage.outputs import map_html

    sc = config.updated(self_contained=True)
    (report,) = write_reports(hostile, sc, tmp_path, map_html(build_map(hostile, sc, compact=True),
                                                             self_contained=True))
    page.goto(report.as_uri(), wait_until="load")
    page.wait_for_timeout(300)
    assert probe in page.locator("body").inner_text()
    assert page.locator("img[src='x']").count() == 0 and dialogs == []
    context.close()
