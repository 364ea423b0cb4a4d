"""Draft the Traditional Chinese (zh_TW) catalogue from zh_CN: OpenCC, then the glossary.

    pip install opencc-python-reimplemented   # a tool for this script only, not a dependency
    python tools/zh_tw.py          # add the keys zh_TW lacks (hand-made entries stay)
    python tools/zh_tw.py --all    # redraft every entry

It also writes boards/locales/t2s.txt, the character table `boards.text.fold_traditional` reads.

OpenCC's s2twp converts characters and Taiwan phrasing (信息 → 資訊); then the ward words of
GLOSSARY.md's zh_TW column replace what a Hong Kong or Taiwan nurse says otherwise
(病区 → 病房, 护士长 → 護理長). A nurse from there should read the result.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from opencc import OpenCC

LOCALES = Path(__file__).resolve().parents[1] / "boards" / "locales"

# After OpenCC (so in Traditional characters), longest first where one contains another.
GLOSSARY = (
    ("外周靜脈留置針", "周邊靜脈留置針"),
    ("防導管脫落", "防管路滑脫"),
    ("防非計劃拔管", "防管路滑脫"),
    ("特殊操作", "特殊處置"),
    ("定時用藥", "定時給藥"),
    ("長期醫囑", "常規醫囑"),
    ("當班護士", "當班護理師"),
    ("責任護士", "責任護理師"),
    ("護士長", "護理長"),
    ("護士站", "護理站"),
    ("護士", "護理師"),
    ("病區", "病房"),
    ("防壓瘡", "防壓傷"),
    ("壓力性損傷", "壓傷"),
    ("防誤吸", "防嗆咳吸入"),
    ("禁飲", "禁水"),
    ("輸液港", "人工血管"),
    ("氣管插管", "氣管內管"),
    ("氣管切開套管", "氣切管"),
    ("胸腔閉式引流管", "胸管"),
    ("置管時間", "置放時間"),
    ("逾期", "逾時"),
    ("稍后提醒", "稍後提醒"),
    ("腕帶", "手圈"),
    ("不良事件", "異常事件"),
    ("未遂事件", "跡近錯失"),
    ("二維碼", "QR碼"),
    ("程式碼", "代碼"),  # a unit code, a code on a sign: never program code
)
_NASOGASTRIC = ("胃管", "鼻胃管")  # after the others, and never twice: 鼻胃管 stays


def convert(text: str, cc: OpenCC) -> str:
    out = cc.convert(text)
    for simplified, traditional in GLOSSARY:
        out = out.replace(simplified, traditional)
    out = out.replace("鼻胃管", "\0").replace(*_NASOGASTRIC).replace("\0", "鼻胃管")
    return out


def write_fold_table() -> None:
    """boards/locales/t2s.txt: each Traditional character and its Simplified one (OpenCC's
    TSCharacters, Apache-2.0), so words typed in Traditional read as the Simplified ones."""
    import opencc

    source = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    pairs = []
    for line in source.read_text(encoding="utf-8").splitlines():
        traditional, _, simplified = line.partition("\t")
        first = simplified.split(" ")[0]
        if len(traditional) == 1 and len(first) == 1 and traditional != first:
            pairs.append(traditional + first)
    header = "# Traditional → Simplified characters, from OpenCC's TSCharacters.txt (Apache-2.0)\n"
    (LOCALES / "t2s.txt").write_text(header + "\n".join(pairs) + "\n", encoding="utf-8")
    print(f"{LOCALES / 't2s.txt'}: {len(pairs)} characters")


def write_traditional_table(cc: OpenCC) -> None:
    """boards/locales/s2t.txt: the names the domain holds outside the catalogue (tags, lines,
    line care, shifts), each drafted whole as the catalogue is (phrase-aware), then every
    Simplified character's usual Traditional one, for names a head nurse adds herself."""
    import opencc

    from boards.lines import DEFAULT_LINES
    from boards.schedule import default_line_care_policy, default_shift_policy
    from boards.tags import DEFAULT_TAGS

    names: set[str] = set()
    for tag in DEFAULT_TAGS:
        names |= {tag.name_zh, tag.badge_zh, *tag.aliases}
    for line in DEFAULT_LINES:
        names |= {line.name_zh, *line.aliases}
    for rules in default_line_care_policy().rules.values():
        names |= {rule.name_zh for rule in rules}
    names |= {shift.name_zh for shift in default_shift_policy().shifts}
    phrases = sorted(
        f"{name}\t{convert(name, cc)}"
        for name in names
        if name and any("\u4e00" <= c <= "\u9fff" for c in name) and convert(name, cc) != name
    )
    source = Path(opencc.__file__).parent / "dictionary" / "STCharacters.txt"
    characters = []
    for line in source.read_text(encoding="utf-8").splitlines():
        simplified, _, traditional = line.partition("\t")
        first = traditional.split(" ")[0]
        if len(simplified) == 1 and len(first) == 1 and simplified != first:
            characters.append(f"{simplified}\t{first}")
    header = (
        "# Simplified → Traditional: whole names (tools/zh_tw.py: OpenCC s2twp + GLOSSARY.md),\n"
        "# then characters from OpenCC's STCharacters.txt (Apache-2.0)\n"
    )
    (LOCALES / "s2t.txt").write_text(
        header + "\n".join(phrases + characters) + "\n", encoding="utf-8"
    )
    print(f"{LOCALES / 's2t.txt'}: {len(phrases)} names, {len(characters)} characters")


def main(argv: list[str]) -> None:
    write_fold_table()
    cc = OpenCC("s2twp")
    write_traditional_table(cc)
    with (LOCALES / "zh_CN" / "LC_MESSAGES" / "wardboard.po").open("rb") as f:
        source = read_po(f, locale="zh_CN")
    target_path = LOCALES / "zh_TW" / "LC_MESSAGES" / "wardboard.po"
    kept: dict[str, str] = {}
    if target_path.exists() and "--all" not in argv:
        with target_path.open("rb") as f:
            kept = {m.id: m.string for m in read_po(f, locale="zh_TW") if m.id}
    out = Catalog(locale="zh_TW", project="WardBoard", version="0.1")
    for message in source:
        if not message.id:
            continue
        string = kept.get(message.id) or convert(message.string, cc)
        out.add(message.id, string, auto_comments=message.auto_comments)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with target_path.open("wb") as f:
        write_po(f, out, width=0, omit_header=False, sort_output=True)
    print(f"{target_path}: {len(out)} messages ({len(out) - len(kept)} drafted)")


if __name__ == "__main__":
    main(sys.argv[1:])
