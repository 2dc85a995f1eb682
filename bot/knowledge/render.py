"""Turning a topic text into Telegram messages: heading, body, sources, review date, disclaimer.

Everything produced here is valid Telegram HTML and each part fits in one message (4096 characters). A long
text is split at paragraph boundaries outside any tag, never in the middle of a tag.
"""

from __future__ import annotations

import html
import itertools
import re
from datetime import date

from babel.dates import format_date

from bot.i18n import N_, translator
from bot.telegram_html import HtmlEntityError, parse_telegram_html, utf16_len

MESSAGE_LIMIT = 4096
# Room kept free in the last part for the footer, so a body that fits alone still fits with its footer.
_TAG_RE = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")

DISCLAIMER = N_("General information, not legal advice.")
REVIEWED = N_("Reviewed on {date}.")
SOURCES = N_("Sources:")


def human_date(day: date, locale: str) -> str:
    return format_date(day, "d MMMM y", locale=locale)


def source_title(source: dict, locale: str) -> str:
    """A source's title in the reader's language: ``title_<locale>`` when the pack gives one, else ``title``."""
    return source.get(f"title_{locale}") or source["title"]


def footer(sources: list[dict], reviewed_on: date, locale: str) -> str:
    t = translator(locale)
    links = "; ".join(
        f'<a href="{html.escape(s["url"], quote=True)}">{html.escape(source_title(s, locale), quote=False)}</a>'
        for s in sources
    )
    lines = []
    if links:
        lines.append(f"📚 {t._(SOURCES)} {links}")
    lines.append(f"🗓 {t._(REVIEWED, date=human_date(reviewed_on, locale))} <i>{t._(DISCLAIMER)}</i>")
    return "\n".join(lines)


def plain_length(fragment: str) -> int:
    return utf16_len(parse_telegram_html(fragment)[0])


def _safe_cut_points(body: str) -> list[int]:
    """Offsets of blank-line paragraph breaks that are not inside an open tag."""
    depth_at: dict[int, int] = {}
    depth = 0
    position = 0
    for match in _TAG_RE.finditer(body):
        for cut in (m.start() for m in re.finditer(r"\n\n", body[position : match.start()])):
            depth_at[position + cut] = depth
        depth += -1 if match.group(1) else 1
        position = match.end()
    for cut in (m.start() for m in re.finditer(r"\n\n", body[position:])):
        depth_at[position + cut] = depth
    return [offset for offset, d in sorted(depth_at.items()) if d == 0]


def split_html(body: str, limit: int) -> list[str]:
    """Split at safe paragraph breaks so that every part's plain length is at most ``limit``."""
    if plain_length(body) <= limit:
        return [body]
    bounds = [0, *_safe_cut_points(body), len(body)]
    segments = [body[a:b].strip() for a, b in itertools.pairwise(bounds)]
    parts: list[str] = []
    current = ""
    for segment in filter(None, segments):
        if plain_length(segment) > limit:
            raise HtmlEntityError("a paragraph is longer than one Telegram message")
        candidate = f"{current}\n\n{segment}" if current else segment
        if plain_length(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = segment
    if current:
        parts.append(current)
    return parts


def render_answer(title: str, body: str, sources: list[dict], reviewed_on: date, locale: str) -> list[str]:
    """The messages of one answer: the last one carries the sources, date and disclaimer."""
    head = f"<b>{html.escape(title, quote=False)}</b>\n\n"
    tail = "\n\n" + footer(sources, reviewed_on, locale)
    whole = head + body.strip() + tail
    if plain_length(whole) <= MESSAGE_LIMIT:
        return [whole]
    room = MESSAGE_LIMIT - plain_length(tail) - plain_length(head)
    parts = split_html(body.strip(), room)
    parts[0] = head + parts[0]
    parts[-1] = parts[-1] + tail
    return parts


def render_short(title: str, short: str, reviewed_on: date, locale: str) -> str:
    """The short version as one plain-text message (no HTML), ready to forward or dictate: the text, then the
    topic's title, the review date and the disclaimer."""
    t = translator(locale)
    return (f"{short.strip()}\n\n— {title}. {t._(REVIEWED, date=human_date(reviewed_on, locale))} "
            f"{t._(DISCLAIMER)}")


def render_menu(title: str | None, body: str) -> str:
    heading = f"<b>{html.escape(title, quote=False)}</b>\n\n" if title else ""
    return heading + body.strip()


def validate_body(body: str) -> str | None:
    """A plain reason why this body cannot be sent to Telegram, or None."""
    try:
        plain, _ = parse_telegram_html(body)
    except HtmlEntityError as exc:
        return f"invalid Telegram HTML: {exc}"
    if not plain.strip():
        return "the text is empty"
    return None
