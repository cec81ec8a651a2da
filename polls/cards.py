"""The picture a shared link previews with (Open Graph's og:image): the poll's question on
Votr's colours, 1200×630 PNG, drawn with Pillow. It shows no count, so that it can be
public whatever the poll's results visibility."""

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 80
NAVY = "#1e1b4b"  # the site header's
BRAND = "#4338ca"
PALE = "#c7d2fe"
LIGHT = "#a5b4fc"
WHITE = "#ffffff"
# Debian's DejaVu (fonts-dejavu-core) covers Latin, Greek, Cyrillic, Arabic and Hebrew; where it
# is missing, Pillow's own font (Latin only) draws the text. Other scripts may show as boxes,
# never as an error.
FONT_FILES = {
    True: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    False: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
}
# Question sizes, largest first: the first one whose wrapped lines fit is used.
QUESTION_SIZES = (76, 64, 54, 46)
QUESTION_MAX_LINES = 4
ELLIPSIS = "…"
AUTHOR_SHOWN = 32  # characters of the author's username (up to 150)


@lru_cache(maxsize=16)
def _font(size: int, *, bold: bool = True) -> ImageFont.FreeTypeFont:
    path = FONT_FILES[bold]
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _split_long_word(word: str, font, width: int) -> list[str]:
    """A word wider than a line, cut where it must be (URLs, long compound words, scripts
    written without spaces)."""
    pieces, piece = [], ""
    for character in word:
        if piece and font.getlength(piece + character) > width:
            pieces.append(piece)
            piece = ""
        piece += character
    return [*pieces, piece] if piece else pieces


def wrap(text: str, font, width: int) -> list[str]:
    """`text` in lines no wider than `width` pixels in `font`, broken between words."""
    lines, line = [], ""
    for word in text.split():
        for piece in _split_long_word(word, font, width):
            candidate = f"{line} {piece}" if line else piece
            if line and font.getlength(candidate) > width:
                lines.append(line)
                line = piece
            else:
                line = candidate
    return [*lines, line] if line else lines


def _shortened(lines: list[str], font, width: int, *, max_lines: int) -> list[str]:
    if len(lines) <= max_lines:
        return lines
    last = lines[max_lines - 1]
    while last and font.getlength(last + ELLIPSIS) > width:
        last = last[:-1]
    return [*lines[: max_lines - 1], last.rstrip() + ELLIPSIS]


def question_lines(
    question: str, width: int, height: int
) -> tuple[list[str], ImageFont.FreeTypeFont]:
    """The question wrapped in the largest size whose lines fit `width` × `height` pixels; at
    the smallest, cut with an ellipsis."""
    for size in QUESTION_SIZES:
        font = _font(size)
        lines = wrap(question, font, width)
        if len(lines) <= QUESTION_MAX_LINES and len(lines) * _line_height(font) <= height:
            return lines, font
    return _shortened(lines, font, width, max_lines=QUESTION_MAX_LINES), font


def _line_height(font) -> int:
    return round(font.size * 1.2)


def _draw_logo(draw: ImageDraw.ImageDraw, x: int, y: int, size: int) -> None:
    """static/img/favicon.svg, drawn: a rounded square with three bars."""
    unit = size / 64
    draw.rounded_rectangle((x, y, x + size, y + size), radius=14 * unit, fill=BRAND)
    for left, top, colour in ((14, 34, PALE), (27.5, 22, WHITE), (41, 28, LIGHT)):
        box = (x + left * unit, y + top * unit, x + (left + 9) * unit, y + 50 * unit)
        draw.rounded_rectangle(box, radius=2 * unit, fill=colour)


def poll_card_png(*, question: str, author: str, site: str) -> bytes:
    """The preview picture of a poll: Votr's mark, the question, who asked and where."""
    image = Image.new("RGB", (WIDTH, HEIGHT), NAVY)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, HEIGHT - 16, WIDTH, HEIGHT), fill=BRAND)
    _draw_logo(draw, MARGIN, 64, 64)
    draw.text((MARGIN + 84, 96), "Votr", font=_font(48), fill=WHITE, anchor="lm")

    # The question, centred in the band between the mark and the footer.
    width, band_top, band_bottom = WIDTH - 2 * MARGIN, 170, HEIGHT - 130
    lines, font = question_lines(" ".join(question.split()), width, band_bottom - band_top)
    line_height = _line_height(font)
    top = band_top + (band_bottom - band_top - len(lines) * line_height) // 2
    for number, line in enumerate(lines):
        draw.text((MARGIN, top + number * line_height), line, font=font, fill=WHITE)

    footer_font = _font(32, bold=False)
    author = author if len(author) <= AUTHOR_SHOWN else author[: AUTHOR_SHOWN - 1] + ELLIPSIS
    footer = f"Asked by {author} · Vote at {site}"
    footer = _shortened(wrap(footer, footer_font, width), footer_font, width, max_lines=1)
    draw.text((MARGIN, HEIGHT - 64), footer[0], font=footer_font, fill=PALE, anchor="ls")

    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()
