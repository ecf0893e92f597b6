"""Province mode: the province-wide inputs read once, one job per county, and each county's
inputs cut from them.

*One province-wide set of files* (:func:`province_jobs`): a boundary file with one feature
per county, and province-wide facilities, population and roads. The roads are read **once**
(``read_network(path, boundary=<all counties>)``) and each county gets the segments that
intersect the county buffered by ``buffer_m + max_facility_offroad_m`` (``subset_network`` of the
province network, found from the segments' boxes and ends: :mod:`tcm_coverage.network.extent`), re-projected to the county's own UTM zone
when the province spans several. Facilities within ``buffer_m`` of the county are included,
so a trip to a facility just across a county line counts (the extra
``max_facility_offroad_m`` of road guarantees that every such facility with a road within
``max_facility_offroad_m`` in the province file finds it). Residents are those of the
county only: village tables and polygons are read once and assigned to counties by
point-in-polygon (:func:`tcm_coverage.access.coverage.assign_areas`); a raster is read per county
on the worker (a window of the county's bounds).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from tcm_coverage._errors import InputError, NetworkError
from tcm_coverage._geo import buffer_lonlat, transform_geoms, utm_crs
from tcm_coverage._io import file_sha256
from tcm_coverage._validate import reading
from tcm_coverage.access import assign_areas
from tcm_coverage.batch.jobs import INPUT_FILE_FIELDS, RASTER_SUFFIXES, CountyJob, job_key
from tcm_coverage.inputs import read_boundaries, read_facilities, read_population
from tcm_coverage.network import (
    RoadNetwork,
    SegmentBoxes,
    read_network,
    segment_boxes,
    segments_meeting,
    subset_network,
)
from tcm_coverage.workflows import AnalysisConfig

logger = logging.getLogger(__name__)

__all__ = ["CountyInputs", "ProvinceInputs", "cut_county", "province_jobs", "read_province_inputs"]


@dataclass(frozen=True)
class CountyInputs:
    """What one county needs, already read and cut (province mode).

    Attributes
    ----------
    counties
        The county's row of the boundary file.
    townships
        Its townships, or None.
    facilities
        Facilities within ``buffer_m`` of the county.
    demand
        Its demand points, or None to read ``config.inputs.population`` (a raster) on the worker.
    network
        Road segments of the county plus buffer (:func:`cut_county`).
    own_facilities
        Mask over ``facilities``: those that belong to this county (routing uses them all;
        facility counts, staff and the scorecard only these, so that a province total does
        not count a facility twice).
    """

    counties: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame | None
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame | None
    network: RoadNetwork
    own_facilities: np.ndarray | None = None


@dataclass
class ProvinceInputs:
    """Province-wide inputs read once by the driver (province mode).

    The road network is read lazily (:meth:`load_network`) so that a fully resumed run never
    parses it.
    """

    config: AnalysisConfig
    counties: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame | None
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame | None
    demand_codes: np.ndarray | None
    township_codes: np.ndarray | None
    facility_codes: np.ndarray | None = None
    network: RoadNetwork | None = None
    boxes: SegmentBoxes | None = None
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def cut_m(self) -> float:
        """Roads are cut to the county plus this many metres."""
        return float(self.config.options.buffer_m) + float(self.config.options.max_facility_offroad_m)

    def load_network(self) -> tuple[RoadNetwork, SegmentBoxes]:
        """Read the province road file once (clipped to all counties plus the cut buffer).

        Returns
        -------
        (network, boxes)
            The province network and its segments' boxes and ends (read on the first call;
            arrays, no LineString per segment).
        """
        if self.network is None or self.boxes is None:
            t0 = time.perf_counter()
            with reading("roads", self.config.inputs.network):
                self.network = read_network(self.config.inputs.network, boundary=self.counties,
                                            buffer_m=self.cut_m)
            self.boxes = segment_boxes(self.network)
            self.seconds["read roads"] = time.perf_counter() - t0
            logger.info("province roads: %d nodes, %d segments (%.1f s)", self.network.n_nodes,
                        self.network.n_segments, self.seconds["read roads"])
        return self.network, self.boxes


def read_province_inputs(config: AnalysisConfig, *, only: Sequence[str] | None = None) -> ProvinceInputs:
    """Read the province-wide boundary, townships, facilities and population once.

    Parameters
    ----------
    config
        An :class:`~tcm_coverage.workflows.pipeline.AnalysisConfig` whose input paths are the
        province-wide files (``boundary``: one feature per county).
    only
        County codes to keep (default: all).

    Returns
    -------
    ProvinceInputs

    Raises
    ------
    InputError
        Any problem with a province-wide file (nothing is run then), duplicate county codes,
        codes in ``only`` that the boundary file lacks.
    """
    t0 = time.perf_counter()
    with reading("boundary", config.inputs.boundary):
        counties = read_boundaries(config.inputs.boundary, datum=config.inputs.boundary_datum, level="county")
    dup = counties["code"].duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError(f"county codes are not unique: {sorted(set(counties['code'][dup]))[:10]}",
                         path=config.inputs.boundary, row=(np.flatnonzero(dup) + 1).tolist(),
                         fix="give every county feature its own code (adcode)")
    if only:
        wanted = [str(c) for c in only]
        missing = sorted(set(wanted) - set(counties["code"]))
        if missing:
            raise InputError(f"county codes {missing} are not in the boundary file",
                             path=config.inputs.boundary,
                             fix=f"use codes from the file, e.g. {list(counties['code'][:5])}")
    all_counties = counties
    if only:
        counties = counties[counties["code"].isin(wanted)].reset_index(drop=True)
    townships = None
    township_codes = None
    if config.inputs.townships is not None:
        with reading("townships", config.inputs.townships):
            townships = read_boundaries(config.inputs.townships, datum=config.inputs.townships_datum,
                                        level="township")
        township_codes = _townships_county(townships, all_counties)
    with reading("facilities", config.inputs.facilities):
        facilities = read_facilities(config.inputs.facilities, datum=config.inputs.facilities_datum)
    # each facility belongs to one county (nearest within 500 m when just outside all, as in
    # the county tables), against every county of the file even with ``only``
    facility_codes = assign_areas(facilities, all_counties, max_distance_m=500.0)
    demand = None
    demand_codes = None
    if Path(config.inputs.population).suffix.lower() not in RASTER_SUFFIXES:
        with reading("population", config.inputs.population):
            demand = read_population(config.inputs.population, datum=config.inputs.population_datum,
                                     population_column=config.inputs.population_column)
        demand_codes = assign_areas(demand, all_counties)
        outside = demand_codes == ""
        if outside.any():
            logger.warning("%d demand points (%.0f residents) lie outside every county and are "
                           "left out", int(outside.sum()),
                           float(demand["population"].to_numpy(float)[outside].sum()))
    seconds = {"read inputs": time.perf_counter() - t0}
    return ProvinceInputs(config=config, counties=counties, townships=townships,
                          facilities=facilities, demand=demand, demand_codes=demand_codes,
                          township_codes=township_codes, facility_codes=facility_codes,
                          seconds=seconds)


def _townships_county(townships: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> np.ndarray:
    """County code of each township: its parent code when that is a county, else the county
    containing a point on its surface."""
    parent = townships["parent_code"].astype(object).to_numpy()
    known = set(counties["code"])
    out = np.array([p if p in known else "" for p in parent], dtype=object)
    todo = out == ""
    if todo.any():
        pts = gpd.GeoDataFrame(geometry=townships.geometry[todo].representative_point().to_numpy(),
                               crs=4326)
        out[todo] = assign_areas(pts, counties)
    return out


def province_jobs(province: ProvinceInputs, *, out_dir: Path) -> list[CountyJob]:
    """One job per county of the province boundary file.

    Parameters
    ----------
    province
        From :func:`read_province_inputs`.
    out_dir
        The batch output folder; county ``code`` writes to ``out_dir/counties/<code>``.

    Returns
    -------
    list of CountyJob
    """
    config = province.config
    hashes = {k: file_sha256(Path(getattr(config.inputs, k))) for k in INPUT_FILE_FIELDS
              if getattr(config.inputs, k) is not None}
    jobs = []
    for row in province.counties.itertuples(index=False):
        code = str(row.code)
        geom_sha = hashlib.sha256(shapely.to_wkb(row.geometry, hex=False)).hexdigest()
        cfg = dataclasses.replace(config, out_dir=Path(out_dir) / "counties" / code)
        key = job_key(cfg, hashes, kind="province", county={"code": code, "geometry": geom_sha})
        jobs.append(CountyJob(job_id=code, code=code, name=str(row.name), config=cfg, key=key,
                              kind="province", geometry=row.geometry, input_hashes=hashes))
    return jobs


def _reproject_network(net: RoadNetwork, crs_m: str) -> RoadNetwork:
    geoms = transform_geoms(net.lines_m(), net.crs_m, crs_m)
    # node coordinates projected anew into crs_m (RoadNetwork.node_xy_m)
    return dataclasses.replace(net, geometry_m=geoms, crs_m=crs_m, x_m=None, y_m=None,
                               length_m=shapely.length(geoms).astype(np.float64))


def cut_county(province: ProvinceInputs, code: str) -> CountyInputs:
    """The inputs of one county, cut from the province-wide ones.

    Parameters
    ----------
    province
        From :func:`read_province_inputs` (the road network is read on first use).
    code
        County code.

    Returns
    -------
    CountyInputs
        Road segments intersecting the county buffered by ``buffer_m +
        max_facility_offroad_m`` (in the county's UTM zone), facilities within ``buffer_m``,
        the county's demand points and townships.

    Raises
    ------
    tcm_coverage._errors.NetworkError
        No road near the county.
    """
    net, boxes = province.load_network()
    config = province.config
    counties = province.counties[province.counties["code"] == code].reset_index(drop=True)
    geom = shapely.union_all(counties.geometry.to_numpy())
    area_ll = buffer_lonlat(geom, province.cut_m)
    area_m = transform_geoms(np.array([area_ll], dtype=object), "EPSG:4326", net.crs_m)[0]
    hit = segments_meeting(net, boxes, area_m)
    if hit.size == 0:
        raise NetworkError(f"{config.inputs.network}: no roads within {province.cut_m:.0f} m of county "
                           f"{code}; check that the road file covers it")
    keep = np.zeros(net.n_segments, dtype=bool)
    keep[hit] = True
    sub = subset_network(net, keep)
    sub = dataclasses.replace(sub, source=f"{config.inputs.network} (county {code})")
    crs = utm_crs(float(np.mean(sub.lon)), float(np.mean(sub.lat)))
    if crs != sub.crs_m:
        sub = _reproject_network(sub, crs)
    fac_area = buffer_lonlat(geom, float(config.options.buffer_m))
    fac = province.facilities
    near = shapely.contains_xy(fac_area, fac.geometry.x.to_numpy(), fac.geometry.y.to_numpy())
    facilities = fac[near].reset_index(drop=True)
    demand = None
    if province.demand is not None:
        demand = province.demand[province.demand_codes == code].reset_index(drop=True)
    townships = None
    if province.townships is not None:
        townships = province.townships[province.township_codes == code].reset_index(drop=True)
        townships = townships if len(townships) else None
    own = None
    if province.facility_codes is not None:
        own = province.facility_codes[near] == code
    return CountyInputs(counties=counties, townships=townships, facilities=facilities,
                        demand=demand, network=sub, own_facilities=own)
