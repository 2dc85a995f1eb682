"""Telegram-flavoured HTML: validation and conversion to (plain text, entities).

Mirrors what the real Bot API accepts for ``parse_mode=HTML`` so that markup the bot would get rejected for
in production fails in tests too. Offsets in the returned entities are UTF-16 code units, like Telegram's.
"""

from __future__ import annotations

from html.parser import HTMLParser

__all__ = ["HtmlEntityError", "parse_telegram_html", "utf16_len"]

# tag -> entity type; span/a/code/pre/blockquote/tg-emoji get extra handling below
_SIMPLE_TAGS = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_ALLOWED_ATTRS = {
    "a": {"href"},
    "span": {"class"},
    "code": {"class"},
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlEntityError(ValueError):
    """The text is not valid Telegram HTML; ``reason`` is what follows "can't parse entities: "."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def utf16_len(s: str) -> int:
    """Length in UTF-16 code units: how Telegram measures text and entity offsets."""
    return len(s.encode("utf-16-le")) // 2


class _Parser(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)  # we must see every entity to validate it
        self.source = source
        self.parts: list[str] = []
        self.length = 0  # UTF-16 length of the text produced so far
        self.stack: list[tuple[str, dict]] = []  # (tag, entity being built)
        self.entities: list[dict] = []
        line_starts = [0]
        for idx, ch in enumerate(source):
            if ch == "\n":
                line_starts.append(idx + 1)
        self._line_starts = line_starts

    # -- helpers -------------------------------------------------------------------------------------------
    def _byte_offset(self, extra: int = 0) -> int:
        line, col = self.getpos()
        char_idx = self._line_starts[line - 1] + col + extra
        return len(self.source[:char_idx].encode("utf-8"))

    def _fail(self, reason: str, extra: int = 0) -> HtmlEntityError:
        return HtmlEntityError(f"{reason} at byte offset {self._byte_offset(extra)}")

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)

    # -- HTMLParser callbacks ------------------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        # HTMLParser passes a "<" that starts no tag and a "&" that starts no entity through as data;
        # Telegram rejects both.
        for ch in "<&":
            pos = data.find(ch)
            if pos >= 0:
                raise self._fail(f'Unexpected "{ch}"', pos)
        self._emit(data)

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED_ENTITIES:
            raise self._fail(f'Unsupported HTML entity "&{name};"')
        self._emit(_NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        try:
            code = int(name[1:], 16) if name[:1] in ("x", "X") else int(name)
            if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise ValueError(code)
        except ValueError:
            raise self._fail(f'Invalid numeric HTML entity "&#{name};"') from None
        self._emit(chr(code))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = _ALLOWED_ATTRS.get(tag, set())
        attr_map: dict[str, str | None] = {}
        for key, value in attrs:
            if key not in allowed:
                raise self._fail(f'Unsupported attribute "{key}" in tag "{tag}"')
            attr_map[key] = value
        entity: dict
        if tag in _SIMPLE_TAGS:
            entity = {"type": _SIMPLE_TAGS[tag]}
            if tag == "code" and attr_map.get("class"):
                cls = attr_map["class"] or ""
                if not cls.startswith("language-") or len(cls) <= len("language-"):
                    raise self._fail(f'Unsupported class "{cls}" in tag "code"')
                entity["language"] = cls[len("language-"):]
        elif tag == "span":
            if attr_map.get("class") != "tg-spoiler":
                raise self._fail('Tag "span" must have class "tg-spoiler"')
            entity = {"type": "spoiler"}
        elif tag == "a":
            href = (attr_map.get("href") or "").strip()
            if not href:
                raise self._fail('Tag "a" must have attribute "href"')
            entity = {"type": "text_link", "url": href}
        elif tag == "blockquote":
            entity = {"type": "expandable_blockquote" if "expandable" in attr_map else "blockquote"}
        elif tag == "tg-emoji":
            emoji_id = attr_map.get("emoji-id") or ""
            if not emoji_id.isdigit():
                raise self._fail('Tag "tg-emoji" must have a numeric attribute "emoji-id"')
            entity = {"type": "custom_emoji", "custom_emoji_id": emoji_id}
        else:
            raise self._fail(f'Unsupported start tag "{tag}"')
        entity["offset"] = self.length
        self.stack.append((tag, entity))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise self._fail(f'Unsupported self-closing tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise self._fail(f'Unexpected end tag "</{tag}>"')
        open_tag, entity = self.stack[-1]
        if open_tag != tag:
            raise self._fail(f'Unmatched end tag, expected "</{open_tag}>", found "</{tag}>"')
        self.stack.pop()
        entity["length"] = self.length - entity["offset"]
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            # <pre><code class="language-x"> is how a language is given: one pre entity, no code entity
            if "language" in entity:
                self.stack[-1][1]["language"] = entity["language"]
            return
        if entity["length"] > 0:
            self.entities.append(entity)

    def handle_comment(self, data: str) -> None:
        raise self._fail("Unsupported HTML comment")

    def handle_decl(self, decl: str) -> None:
        raise self._fail("Unsupported HTML declaration")

    def handle_pi(self, data: str) -> None:
        raise self._fail("Unsupported HTML processing instruction")

    def unknown_decl(self, data: str) -> None:
        raise self._fail("Unsupported HTML declaration")


def parse_telegram_html(text: str) -> tuple[str, list[dict]]:
    """Return (plain text, entities) for ``text`` sent with parse_mode=HTML; raise HtmlEntityError."""
    parser = _Parser(text)
    parser.feed(text)
    parser.close()  # flushes a trailing incomplete "<b" / "&amp" as data, which handle_data then rejects
    if parser.stack:
        raise HtmlEntityError(f'Can\'t find end tag corresponding to start tag "{parser.stack[-1][0]}"')
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    # Key order like Telegram's JSON (type, offset, length, extras) keeps comparisons readable in tests.
    ordered = [
        {"type": e["type"], "offset": e["offset"], "length": e["length"]}
        | {k: v for k, v in e.items() if k not in ("type", "offset", "length")}
        for e in entities
    ]
    return "".join(parser.parts), ordered
