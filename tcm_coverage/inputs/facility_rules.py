"""Facility types from map-service POI exports (高德 Amap, 百度 Baidu, 腾讯 Tencent), by rules a
planner can read.

A POI export has a name and, usually, map-service categories: Amap ``大类;中类;小类``, several
joined by ``|`` (``医疗保健服务;综合医院;卫生院``), Baidu ``医疗;综合医院``, Tencent
``医疗保健:诊所``. None of them says "村卫生室" or "乡镇卫生院", but the names do: Chinese
health facility names follow the official institution types. :func:`infer_type` types each
row by the first rule of :data:`RULES` that matches, in this order:

1. **X**: the name says the place is not a health service point for residents (pet clinics,
   cosmetic surgery, dental-only, pharmacies, health authorities, wellness shops, departments
   of a facility listed on its own); the row is left out and counted.
2. **N**: the name ends in an official institution type (村卫生室, 社区卫生服务中心, 卫生院,
   中医医院, 中医诊所 …). Name rules win over categories: an Amap row ``医疗保健服务;综合医院;
   卫生院`` named 甲镇卫生院 is a township centre; a 村卫生室 Amap files under 药房 is a village
   clinic.
3. **C**: the categories (each ``|`` alternative, each level) name a type (``卫生院`` →
   township centre, ``诊所`` → clinic, ``综合医院``/``专科医院`` → general hospital) or a place to
   leave out (``宠物诊所``, ``药房``, ``口腔医院``, ``整形美容`` …). When alternatives disagree a
   type beats leaving out (a clinic that also sells medicine is a clinic).
4. **G**: generic name endings (…医院 → general hospital, …诊所/门诊部/医务室 → clinic).

Rows no rule types are *not guessed*: they are left out, listed in the review sheet
(``设施类型识别`` in ``coverage.xlsx``) and counted in a warning, so a run needs no hand
editing and nothing is hidden. The review sheet is itself a typed facility table: correct its
``识别类型`` column (write ``不计入`` to leave a row out) and rerun with it
(``--facilities coverage.xlsx --sheet 设施类型识别``).

Names are compared after full-width → half-width folding, without spaces and without a
trailing bracket (``屯留区中医医院(东院)`` → ``屯留区中医医院``). A department or building of a
facility (``…医院-住院部``, ``…卫生院中医科``) is left out when the facility itself is also in
the export (X5), else typed by the facility's name.

A 中医院 in a county's export is taken as the county TCM hospital (``county_tcm_hospital``,
a TCM service point). A city or provincial one (``长治市中医医院``, N5a) is typed the same way
because it serves the residents around it; in a city district it is often the only public TCM
hospital, but whether it is the district's "县办中医医疗机构" is for the planner to judge
(the review sheet says which rule typed it).

The rule table follows (generated from :data:`RULES`, so it cannot drift; the README shows
the same table, rendered by :func:`rules_markdown`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from tcm_coverage.i18n import LANGS, check_lang, text

__all__ = ["KIND_LABELS", "RULES", "TypeRule", "TypeResult", "clean_name", "infer_type",
           "poi_source", "rules_markdown", "split_categories"]


@dataclass(frozen=True)
class TypeRule:
    """One rule of the table.

    Attributes
    ----------
    rule_id
        Short id shown in the review sheet (``N4``).
    field
        ``"name"`` (matched against the cleaned name) or ``"category"`` (against each level of
        each ``|`` alternative of the category).
    pattern
        Regular expression (``re.search``).
    kind
        The inferred kind (see :mod:`tcm_coverage.inputs.facilities`), ``None``: not a health service
        point, the row is left out.
    note_zh, note_en
        What the rule means, for the review sheet.
    """

    rule_id: str
    field: str
    pattern: str
    kind: str | None
    note_zh: str
    note_en: str

    @property
    def regex(self) -> re.Pattern[str]:
        """The compiled pattern."""
        return _compiled(self.pattern)

    def note(self, lang: str) -> str:
        """The note in ``lang`` (``"zh"`` or ``"en"``)."""
        return (self.note_zh, self.note_en)[LANGS.index(check_lang(lang))]


_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    if pattern not in _CACHE:
        _CACHE[pattern] = re.compile(pattern, re.IGNORECASE)
    return _CACHE[pattern]


#: Department / building suffixes (X5): the part before them is the facility's own name.
DEPARTMENT_PATTERN = (r"^(?P<parent>.+?(?:医院|卫生院|服务中心|服务站|保健院|卫生室))[-_·—]*"
                      r"(?P<dept>住院部|门诊部|门诊楼|住院楼|医技楼|急诊|急诊部|急诊科|急救站|发热门诊|"
                      r"体检中心|体检科|体检部|停车场|挂号处|收费处|[东西南北]门|"
                      r"中医馆|国医馆|国医堂|中医阁|中医科|[^\d诊]{1,6}科)$")

#: Department suffixes that show the facility has a 中医馆 (centres) or a 中医阁 (clinics).
HALL_SUFFIXES: dict[str, str] = {"中医馆": "zhongyiguan", "国医馆": "zhongyiguan",
                                 "国医堂": "zhongyiguan", "中医阁": "zhongyige"}

RULES: tuple[TypeRule, ...] = (
    TypeRule("X1", "name", r"宠物|动物(医院|诊所|医疗|门诊)|兽医|畜牧", None,
             "宠物/动物诊疗，不为居民服务", "pet or animal clinic, not for residents"),
    TypeRule("X2", "name", r"医疗美容|医美|整形|美容(医院|诊所|门诊)", None,
             "医疗美容/整形，不计为卫生服务点", "cosmetic surgery, not a health service point"),
    TypeRule("X3", "name", r"口腔|牙科|齿科|牙医|种植牙", None,
             "只看牙病的口腔/牙科机构", "dental only"),
    TypeRule("X4", "name", r"(大药房|药房|药店|药铺|药行|医药超市|医药连锁)(.{0,12}[店部])?$", None,
             "药店/药房（含连锁分店）", "pharmacy (also a chain's branch)"),
    TypeRule("X5", "name", DEPARTMENT_PATTERN, None,
             "机构的科室/楼宇/门诊部，机构本身已在表中，不重复计", "a department or building of a "
             "facility that is listed itself; not counted twice"),
    TypeRule("X6", "name", r"疾病预防控制|疾控|卫生监督|卫生健康(局|委)|卫健(局|委)|卫生局|"
             r"医疗保障局|医保(局|中心)|血站|献血|红十字会|爱国卫生", None,
             "卫生行政/公共卫生机构，不接诊", "health authority or public-health agency, no patients"),
    TypeRule("X7", "name", r"(养生|足疗|足浴|按摩|推拿|艾灸|理疗|汗蒸|刮痧|拔罐|spa)(馆|会所|店|坊|中心|堂|室)$|"
             r"医疗器械|眼镜|助听器|母婴|保健品|成人用品", None,
             "养生保健场所或商店，不是医疗机构", "wellness parlour or shop, not a medical institution"),
    TypeRule("N1", "name", r"(村卫生室|卫生室|村卫生所|村医疗室|村诊所)$", "village_clinic",
             "名称以“卫生室”结尾：村卫生室", "name ends in 卫生室: village clinic"),
    TypeRule("N2", "name", r"(社区卫生服务中心|卫生服务中心)$", "community_health_centre",
             "名称以“社区卫生服务中心”结尾", "name ends in 社区卫生服务中心: community health centre"),
    TypeRule("N3", "name", r"(社区卫生服务站|卫生服务站|社区医疗服务站)$", "community_health_station",
             "名称以“社区卫生服务站”结尾", "name ends in 社区卫生服务站: community health station"),
    TypeRule("N4", "name", r"卫生院$", "township_health_centre",
             "名称以“卫生院”结尾：乡镇（中心）卫生院", "name ends in 卫生院: township health centre"),
    TypeRule("N5a", "name", r"(省|市|州|盟)(第[一二三四五六七八九十\d]+)?(中医|中西医结合|中医药|蒙医|藏医|维吾尔医|"
             r"民族医).{0,10}医院$", "county_tcm_hospital",
             "市/省级中医医院：计为中医药服务点（县级中医医院一类）；市辖区是否以它为区办中医医疗机构请核对",
             "city/provincial TCM hospital: a TCM service point (counted as the county TCM "
             "hospital); check whether it is the district's own TCM institution"),
    TypeRule("N5", "name", r"(中医|中西医结合|蒙医|藏医|维吾尔医|维医|傣医|壮医|民族医).{0,10}医院$|中医院$",
             "county_tcm_hospital", "名称为中医(医)院/中西医结合医院：县级中医医院",
             "name is a 中医(医)院 / 中西医结合医院: county TCM hospital"),
    TypeRule("N6", "name", r"(中医|中西医结合|国医|中医药).{0,8}(诊所|门诊部|门诊)$|(国医堂|国医馆|中医馆)$",
             "tcm_clinic", "名称为中医诊所/中医门诊部/国医堂", "name is a 中医诊所 / 中医门诊部 / 国医堂: TCM clinic"),
    TypeRule("CX1", "category", r"动物医疗|宠物|兽医", None, "类别为宠物/动物诊疗", "category: pet/animal clinic"),
    TypeRule("CX2", "category", r"整形|美容", None, "类别为整形美容", "category: cosmetic surgery"),
    TypeRule("CX3", "category", r"口腔|牙科", None, "类别为口腔/牙科", "category: dental"),
    TypeRule("CX4", "category", r"药房|药店|医药|医疗保健用品|医疗器械", None,
             "类别为药店/医药销售", "category: pharmacy or medical shop"),
    TypeRule("CX5", "category", r"疾病预防|疾控|卫生监督|血站", None,
             "类别为疾控/卫生监督", "category: disease control / health authority"),
    TypeRule("C1", "category", r"^卫生院$", "township_health_centre",
             "类别为“卫生院”：乡镇卫生院", "category 卫生院: township health centre"),
    TypeRule("C2", "category", r"^中医(医)?院$", "county_tcm_hospital",
             "类别为中医院", "category 中医院: county TCM hospital"),
    TypeRule("C3", "category", r"诊所|门诊部|卫生室|卫生所", "other_clinic",
             "类别为诊所", "category: clinic"),
    TypeRule("C4", "category", r"医院|急救中心|妇幼保健|保健院", "general_hospital",
             "类别为综合/专科医院", "category: general or specialist hospital"),
    TypeRule("G1", "name", r"(医院|保健院|保健所|急救中心)$", "general_hospital",
             "名称以“医院”结尾：综合/专科医院", "name ends in 医院: general or specialist hospital"),
    TypeRule("G2", "name", r"(诊所|门诊部|门诊|医务室|卫生所|医疗室|医疗站)$", "other_clinic",
             "名称以“诊所/门诊部/医务室”结尾：其他诊所", "name ends in 诊所/门诊部/医务室: clinic"),
)

_BY_ID = {r.rule_id: r for r in RULES}

#: Labels of the inferred kinds: an accepted type name of :mod:`tcm_coverage.inputs.facilities` in
#: each language, so the review sheet can be read back as a typed facility table.
KIND_LABELS: dict[str, dict[str, str]] = {
    "county_tcm_hospital": {"zh": "县级中医医院", "en": "county TCM hospital"},
    "township_health_centre": {"zh": "乡镇卫生院", "en": "township health centre"},
    "community_health_centre": {"zh": "社区卫生服务中心", "en": "community health service centre"},
    "village_clinic": {"zh": "村卫生室", "en": "village clinic"},
    "community_health_station": {"zh": "社区卫生服务站", "en": "community health station"},
    "tcm_clinic": {"zh": "中医诊所", "en": "TCM clinic"},
    "general_hospital": {"zh": "综合医院", "en": "general hospital"},
    "other_clinic": {"zh": "诊所", "en": "clinic"},
}

#: Type values meaning "leave this row out" (``excluded``) and "no rule could type it"
#: (``unrecognised``); both are accepted in a typed table, so the review sheet reads back.
SKIP_LABELS: dict[str, dict[str, str]] = {
    "excluded": {"zh": "不计入", "en": "exclude"},
    "unrecognised": {"zh": "未识别", "en": "unrecognised"},
}

_TRAILING_BRACKET = re.compile(r"\s*[(\[【][^()\[\]【】]*[)\]】]\s*$")
_CATEGORY_LEVEL_SPLIT = re.compile(r"[;；:：>/]+")


def clean_name(name: object) -> str:
    """A facility name as the rules see it: half-width, no spaces, no trailing bracket.

    Parameters
    ----------
    name
        The name as exported.

    Returns
    -------
    str
    """
    s = unicodedata.normalize("NFKC", "" if name is None else str(name))
    s = re.sub(r"\s+", "", s)
    previous = None
    while previous != s:
        previous = s
        s = _TRAILING_BRACKET.sub("", s)
    return s


def split_categories(category: object) -> list[list[str]]:
    """Category alternatives (``|``) and their levels (``;``, ``:``, ``>`` or ``/``).

    Parameters
    ----------
    category
        ``"医疗保健服务;综合医院;卫生院|医疗保健服务;诊所;诊所"``, ``"医疗;综合医院"``,
        ``"医疗保健:诊所"``, or blank.

    Returns
    -------
    list of list of str
        ``[["医疗保健服务", "综合医院", "卫生院"], ["医疗保健服务", "诊所", "诊所"]]``.
    """
    if category is None or (isinstance(category, float) and category != category):
        return []
    text = unicodedata.normalize("NFKC", str(category)).strip()
    out = []
    for alt in re.split(r"[|｜,，]+", text):
        levels = [lv.strip() for lv in _CATEGORY_LEVEL_SPLIT.split(alt) if lv.strip()]
        if levels:
            out.append(levels)
    return out


def looks_like_category(value: object) -> bool:
    """Whether a type cell holds map-service categories (separators or a known category word).

    Parameters
    ----------
    value
        A cell of the type column.

    Returns
    -------
    bool
    """
    text = unicodedata.normalize("NFKC", str(value))
    if re.search(r"[;；:：|｜]", text):
        return True
    return text.strip() in ("医疗保健服务", "医疗保健", "医疗")


def poi_source(categories: Iterable[object]) -> str | None:
    """The map service an export seems to come from, by its category style.

    Parameters
    ----------
    categories
        Cells of the category column.

    Returns
    -------
    str or None
        ``"amap"`` (``医疗保健服务;…``), ``"tencent"`` (``医疗保健:…``), ``"baidu"``
        (``医疗;…``) or ``None``.
    """
    votes = {"amap": 0, "tencent": 0, "baidu": 0}
    for value in categories:
        text = unicodedata.normalize("NFKC", str(value))
        if text.startswith("医疗保健服务;"):
            votes["amap"] += 1
        elif text.startswith("医疗保健:"):
            votes["tencent"] += 1
        elif text.startswith("医疗;"):
            votes["baidu"] += 1
    best = max(votes, key=lambda k: votes[k])
    return best if votes[best] else None


@dataclass(frozen=True)
class TypeResult:
    """What the rules made of one row.

    Attributes
    ----------
    kind
        The inferred kind, ``None`` when the row is left out or not recognised.
    rule_id
        The rule that fired (``""`` when none did).
    action
        ``"counted"``, ``"excluded"`` (a rule left it out) or ``"unrecognised"``.
    via
        For a department, the facility's own name (when the facility is not in the export the
        row is typed by that name); else ``""``.
    hall
        ``"zhongyiguan"`` / ``"zhongyige"`` when the name is the facility's 中医馆/国医堂 or
        中医阁 (``甲镇卫生院中医馆``): evidence that the facility ``via`` has one; else ``""``.
    """

    kind: str | None
    rule_id: str
    action: str
    via: str = ""
    hall: str = ""

    @property
    def rule(self) -> TypeRule | None:
        """The :class:`TypeRule` that fired."""
        return _BY_ID.get(self.rule_id)


def _first(field: str, text: str, *, skip: Iterable[str] = ()) -> TypeRule | None:
    skipped = set(skip)
    for rule in RULES:
        if rule.field == field and rule.rule_id not in skipped and rule.regex.search(text):
            return rule
    return None


def _category_rule(category: object) -> TypeRule | None:
    per_alt = []
    for levels in split_categories(category):
        hits = [r for r in RULES if r.field == "category" and any(r.regex.search(lv) for lv in levels)]
        if hits:
            per_alt.append(hits[0])  # table order: leaving out (CX) before types (C)
    typed = [r for r in per_alt if r.kind is not None]
    if typed:
        return min(typed, key=RULES.index)
    return per_alt[0] if per_alt else None


def infer_type(name: object, category: object = None, *,
               listed_names: frozenset[str] = frozenset()) -> TypeResult:
    """Type one POI row by the first rule of :data:`RULES` that matches.

    Parameters
    ----------
    name
        The POI name.
    category
        Its map-service categories (blank or ``None`` when the export has none).
    listed_names
        Cleaned names (:func:`clean_name`) of every row of the export: a department of a
        facility in this set is left out (X5), else typed by the facility's name.

    Returns
    -------
    TypeResult
    """
    text = clean_name(name)
    via = hall = ""
    dept = re.match(DEPARTMENT_PATTERN, text)
    if dept:
        via, hall = dept.group("parent"), HALL_SUFFIXES.get(dept.group("dept"), "")
        if via in listed_names:
            return TypeResult(None, "X5", "excluded", via, hall)
        text = via
    rule = _first("name", text, skip=("X5",))
    if rule is not None and rule.rule_id[0] in "XN":
        return TypeResult(rule.kind, rule.rule_id, "counted" if rule.kind else "excluded", via, hall)
    cat_rule = _category_rule(category)
    if cat_rule is not None:
        return TypeResult(cat_rule.kind, cat_rule.rule_id,
                          "counted" if cat_rule.kind else "excluded", via, hall)
    if rule is not None:  # a generic name ending (G)
        return TypeResult(rule.kind, rule.rule_id, "counted", via, hall)
    return TypeResult(None, "", "unrecognised", via, hall)


def _pattern_text(rule: TypeRule) -> str:
    if rule.rule_id == "X5":
        return "department/building suffix (住院部, 急诊科, 中医科, 体检中心 …) after 医院/卫生院/服务中心"
    return rule.pattern.replace("|", r"\|")


def rules_markdown(lang: str = "en") -> str:
    """The rule table as Markdown (for the README and the docs).

    Parameters
    ----------
    lang
        ``"en"`` or ``"zh"`` (the note column).

    Returns
    -------
    str
    """
    lines = [text("inputs.rules.header", lang), "|---|---|---|---|---|"]
    for r in RULES:
        field = text(f"inputs.rules.field.{r.field}", lang)
        kind = KIND_LABELS[r.kind][lang] if r.kind else SKIP_LABELS["excluded"][lang]
        lines.append(f"| {r.rule_id} | {field} | `{_pattern_text(r)}` | {kind} | {r.note(lang)} |")
    return "\n".join(lines)


def _rules_rst() -> str:
    rows = [(r.rule_id, r.field, _pattern_text(r).replace(r"\|", "|"),
             r.kind or "left out", r.note_en) for r in RULES]
    widths = [max(len(str(x[i])) for x in [("rule", "field", "pattern", "type", "note"), *rows])
              for i in range(5)]
    rule = "  ".join("=" * w for w in widths)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [rule, fmt.format("rule", "field", "pattern", "type", "note"), rule]
    lines += [fmt.format(*x) for x in rows]
    lines.append(rule)
    return "\n".join(lines)


__doc__ = (__doc__ or "") + "\n" + _rules_rst() + "\n"
