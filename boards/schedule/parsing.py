"""Reading frequencies and routes from what nurses type (times: boards.when)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from boards.schedule.codes import Frequency, Route
from boards.when import NUM, normalise, zh_number

_normalise = normalise
_number = zh_number
_NUM: Final = NUM


def _compact(text: str) -> str:
    # Codes are typed with dots and spaces in every combination: "q.d.", "Q 8 H", "i.v. gtt".
    return re.sub(r"[\s.\-_/]+", "", _normalise(text))


_FREQUENCY_WORDS: Final[Mapping[str, Frequency]] = MappingProxyType(
    {
        # English and Latin abbreviations in common use
        "stat": Frequency.ST,
        "once": Frequency.ST,
        "now": Frequency.ST,
        "immediately": Frequency.ST,
        "od": Frequency.QD,
        "daily": Frequency.QD,
        "oncedaily": Frequency.QD,
        "onceaday": Frequency.QD,
        "q24h": Frequency.QD,
        "bd": Frequency.BID,
        "twicedaily": Frequency.BID,
        "twiceaday": Frequency.BID,
        "tds": Frequency.TID,
        "threetimesdaily": Frequency.TID,
        "threetimesaday": Frequency.TID,
        "qds": Frequency.QID,
        "fourtimesdaily": Frequency.QID,
        "fourtimesaday": Frequency.QID,
        "nocte": Frequency.QN,
        "nightly": Frequency.QN,
        "atnight": Frequency.QN,
        "bedtime": Frequency.HS,
        "atbedtime": Frequency.HS,
        "everyotherday": Frequency.QOD,
        "alternatedays": Frequency.QOD,
        "q48h": Frequency.QOD,
        "asneeded": Frequency.PRN,
        "whenneeded": Frequency.PRN,
        # Chinese
        "立即": Frequency.ST,
        "立即执行": Frequency.ST,
        "立刻": Frequency.ST,
        "即刻": Frequency.ST,
        "马上": Frequency.ST,
        "每晚": Frequency.QN,
        "每夜": Frequency.QN,
        "睡前": Frequency.HS,
        "临睡前": Frequency.HS,
        "隔日": Frequency.QOD,
        "隔天": Frequency.QOD,
        "每两日": Frequency.QOD,
        "每两天": Frequency.QOD,
        "每2日": Frequency.QOD,
        "每2天": Frequency.QOD,
        "必要时": Frequency.PRN,
        "需要时": Frequency.PRN,
    }
)
_PER_DAY: Final[Mapping[int, Frequency]] = MappingProxyType(
    {1: Frequency.QD, 2: Frequency.BID, 3: Frequency.TID, 4: Frequency.QID}
)
_EVERY_HOURS: Final[Mapping[int, Frequency]] = MappingProxyType(
    {
        4: Frequency.Q4H,
        6: Frequency.Q6H,
        8: Frequency.Q8H,
        12: Frequency.Q12H,
        24: Frequency.QD,
        48: Frequency.QOD,
    }
)


def parse_frequency(text: str) -> Frequency | None:
    """Read a frequency as nurses type it: ``QD``, ``q.d.``, ``Bid``, ``q8h``, ``每8小时``."""
    compact = _compact(text)
    if not compact:
        return None
    try:
        return Frequency(compact)
    except ValueError:
        pass
    # "一次"/"1次" after an already complete phrase adds nothing: 每晚一次, 隔日一次.
    for word in (compact, re.sub(r"(一次|1次)$", "", compact)):
        if word in _FREQUENCY_WORDS:
            return _FREQUENCY_WORDS[word]
    per_day = re.fullmatch(rf"(?:每|一|1)(?:日|天)({_NUM})次", compact)
    if per_day:
        count = _number(per_day.group(1))
        return _PER_DAY.get(count) if count is not None else None
    every = re.fullmatch(
        rf"(?:每隔|每)({_NUM})(?:个)?(?:小时|h|hr|hrs|hours?)(?:一次|1次)?", compact
    ) or re.fullmatch(r"(?:every|q)([0-9]+)(?:h|hr|hrs|hours?)", compact)
    if every:
        hours = _number(every.group(1))
        return _EVERY_HOURS.get(hours) if hours is not None else None
    return None


_ROUTE_WORDS: Final[Mapping[str, Route]] = MappingProxyType(
    {
        "oral": Route.PO,
        "bymouth": Route.PO,
        "口服": Route.PO,
        "ivdrip": Route.IVGTT,
        "ivinfusion": Route.IVGTT,
        "drip": Route.IVGTT,
        "静脉滴注": Route.IVGTT,
        "静滴": Route.IVGTT,
        "静脉输液": Route.IVGTT,
        "输液": Route.IVGTT,
        "点滴": Route.IVGTT,
        "ivp": Route.IV,
        "ivpush": Route.IV,
        "ivbolus": Route.IV,
        "静脉注射": Route.IV,
        "静脉推注": Route.IV,
        "静推": Route.IV,
        "静注": Route.IV,
        "intramuscular": Route.IM,
        "肌肉注射": Route.IM,
        "肌内注射": Route.IM,
        "肌注": Route.IM,
        "ih": Route.SC,
        "sq": Route.SC,
        "subcut": Route.SC,
        "subcutaneous": Route.SC,
        "皮下注射": Route.SC,
        "皮下": Route.SC,
        "external": Route.TOPICAL,
        "ext": Route.TOPICAL,
        "外用": Route.TOPICAL,
        "外敷": Route.TOPICAL,
        "外涂": Route.TOPICAL,
        "局部外用": Route.TOPICAL,
        "inh": Route.INHALED,
        "inhalation": Route.INHALED,
        "neb": Route.INHALED,
        "nebulised": Route.INHALED,
        "nebulized": Route.INHALED,
        "雾化吸入": Route.INHALED,
        "雾化": Route.INHALED,
        "吸入": Route.INHALED,
    }
)


def parse_route(text: str) -> Route | None:
    """Read a route code or its Chinese name: ``po``, ``i.v. gtt``, ``ih``, ``静滴``, ``外用``."""
    compact = _compact(text)
    try:
        return Route(compact)
    except ValueError:
        return _ROUTE_WORDS.get(compact)
