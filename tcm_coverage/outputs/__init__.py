"""What a planner opens: tables (XLSX/CSV/GPKG), maps (Folium HTML), the HTML report and the scorecard.

Modules: :mod:`~tcm_coverage.outputs.maps`, :mod:`~tcm_coverage.outputs.report_html`, :mod:`~tcm_coverage.outputs.scorecard`, :mod:`~tcm_coverage.outputs.tables`.
"""

from tcm_coverage.outputs.maps import (
    BASEMAPS,
    SHARE_BREAKS,
    SHARE_COLOURS,
    TIER_STYLE,
    base_map,
    compact_geojson,
    coverage_map,
    map_html,
    prepare_layer,
    save_map,
    share_colour,
)
from tcm_coverage.outputs.report_html import (
    county_report_html,
    cumulative_chart_svg,
    cumulative_curve,
    scorecard_section_html,
)
from tcm_coverage.outputs.scorecard import (
    SCORECARD_COLUMNS,
    STATUS_COLOURS,
    STATUSES,
    render_scorecard,
    scorecard,
    write_scorecard,
)
from tcm_coverage.outputs.tables import (
    COLUMN_LABELS,
    NO_DATA,
    column_label,
    localize,
    rounded_table,
    with_no_data,
    write_isochrones,
    write_layers,
    write_manifest,
    write_tables,
)

__all__ = [
    "BASEMAPS",
    "COLUMN_LABELS",
    "NO_DATA",
    "SCORECARD_COLUMNS",
    "SHARE_BREAKS",
    "SHARE_COLOURS",
    "STATUSES",
    "STATUS_COLOURS",
    "TIER_STYLE",
    "base_map",
    "column_label",
    "compact_geojson",
    "county_report_html",
    "coverage_map",
    "cumulative_chart_svg",
    "cumulative_curve",
    "localize",
    "map_html",
    "prepare_layer",
    "render_scorecard",
    "rounded_table",
    "save_map",
    "scorecard",
    "scorecard_section_html",
    "share_colour",
    "with_no_data",
    "write_isochrones",
    "write_layers",
    "write_manifest",
    "write_scorecard",
    "write_tables",
]
