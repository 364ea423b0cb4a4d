"""Telegram's HTML parse mode: markup to plain text and entities, refused as Telegram does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ParseError", "parse_html", "strip_text", "utf16_len"]

# Tag names Telegram accepts, and the entity each one becomes.
_TAGS = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
# Only these four named entities are decoded; any other "&name;" stays as typed.
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z]{2,8});")
_PLAIN = re.compile(r"[^<&]+")


class ParseError(ValueError):
    """Markup Telegram refuses; the message follows Telegram's own wording."""


@dataclass
class _Open:
    name: str
    offset: int
    attrs: dict[str, str] = field(default_factory=dict)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _decode(reference: str) -> str | None:
    if reference.startswith("#"):
        try:
            code = int(reference[2:], 16) if reference[1] in "xX" else int(reference[1:])
        except ValueError:
            return None
        # Surrogates and NUL have no place in a message; Telegram keeps such text as typed.
        if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            return None
        return chr(code)
    return _NAMED.get(reference)


def _unescape(value: str) -> str:
    def one(match: re.Match[str]) -> str:
        decoded = _decode(match.group(1))
        return match.group(0) if decoded is None else decoded

    return _ENTITY.sub(one, value)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into the plain text a user sees and its entities (UTF-16 offsets)."""
    parser = _Parser(source)
    return parser.run()


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.out: list[str] = []
        self.length = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, index: int) -> int:
        # Telegram reports positions in UTF-8 bytes of the source.
        return len(self.source[:index].encode("utf-8"))

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.length += utf16_len(text)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        source = self.source
        while self.pos < len(source):
            char = source[self.pos]
            if char == "&":
                match = _ENTITY.match(source, self.pos)
                decoded = _decode(match.group(1)) if match else None
                if match is None or decoded is None:
                    self.emit("&")
                    self.pos += 1
                else:
                    self.emit(decoded)
                    self.pos = match.end()
            elif char == "<":
                if source.startswith("</", self.pos):
                    self.end_tag()
                else:
                    self.start_tag()
            else:
                plain = _PLAIN.match(source, self.pos)
                assert plain is not None
                self.emit(plain.group(0))
                self.pos = plain.end()
        if self.stack:
            name = self.stack[-1].name
            raise ParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        return "".join(self.out), _finish(self.entities)

    def start_tag(self) -> None:
        source, begin = self.source, self.pos
        end = begin + 1
        while end < len(source) and not source[end].isspace() and source[end] != ">":
            end += 1
        if end >= len(source):
            raise ParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = source[begin + 1 : end].lower()
        if name not in _TAGS:
            raise ParseError(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        attrs, self.pos = self.attributes(name, begin, end)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise ParseError('Tag "span" must have class "tg-spoiler"')
        self.stack.append(_Open(name, self.length, attrs))

    def attributes(self, name: str, begin: int, pos: int) -> tuple[dict[str, str], int]:
        source, attrs = self.source, dict[str, str]()
        unclosed = ParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        while True:
            while pos < len(source) and source[pos].isspace():
                pos += 1
            if pos >= len(source):
                raise unclosed
            if source[pos] == ">":
                return attrs, pos + 1
            start = pos
            while pos < len(source) and not source[pos].isspace() and source[pos] not in "=>":
                pos += 1
            attr = source[start:pos].lower()
            if not attr:
                raise ParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            while pos < len(source) and source[pos].isspace():
                pos += 1
            value = ""
            if pos < len(source) and source[pos] == "=":
                pos += 1
                while pos < len(source) and source[pos].isspace():
                    pos += 1
                if pos >= len(source):
                    raise unclosed
                if source[pos] in "'\"":
                    close = source.find(source[pos], pos + 1)
                    if close < 0:
                        raise unclosed
                    value, pos = source[pos + 1 : close], close + 1
                else:
                    start = pos
                    while pos < len(source) and not source[pos].isspace() and source[pos] != ">":
                        pos += 1
                    value = source[start:pos]
            attrs[attr] = _unescape(value)

    def end_tag(self) -> None:
        source, begin = self.source, self.pos
        close = source.find(">", begin)
        if close < 0:
            raise ParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        name = source[begin + 2 : close].strip().lower()
        if not self.stack:
            raise ParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        top = self.stack.pop()
        if name != top.name:
            raise ParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{top.name}>", found "</{name}>"'
            )
        self.pos = close + 1
        length = self.length - top.offset
        if length <= 0:
            return
        entity: dict[str, Any] = {"type": _TAGS[top.name], "offset": top.offset, "length": length}
        if top.name == "a":
            if not top.attrs.get("href"):
                return
            entity["url"] = top.attrs["href"]
        elif top.name == "tg-emoji":
            entity["custom_emoji_id"] = top.attrs.get("emoji-id", "")
        elif top.name == "blockquote" and "expandable" in top.attrs:
            entity["type"] = "expandable_blockquote"
        elif top.name == "code" and top.attrs.get("class", "").startswith("language-"):
            # Kept aside until the enclosing <pre> closes and takes it as its language.
            entity["_language"] = top.attrs["class"][len("language-") :]
        self.entities.append(entity)


def _finish(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # <pre><code class="language-x">…</code></pre> is one pre entity with a language.
    merged: list[dict[str, Any]] = []
    for entity in entities:
        if entity["type"] == "pre":
            inner = next(
                (
                    e
                    for e in merged
                    if e["type"] == "code"
                    and "_language" in e
                    and (e["offset"], e["length"]) == (entity["offset"], entity["length"])
                ),
                None,
            )
            if inner is not None:
                merged.remove(inner)
                entity["language"] = inner["_language"]
        merged.append(entity)
    for entity in merged:
        entity.pop("_language", None)
    return sorted(merged, key=lambda e: (e["offset"], -e["length"]))


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace as Telegram does, shifting and clipping the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(int(entity["offset"]) - lead, 0)
        end = min(int(entity["offset"]) + int(entity["length"]) - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept
