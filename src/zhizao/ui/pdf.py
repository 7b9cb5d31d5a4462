"""What the PDF reports share: the CID font that draws Chinese with no font files on the machine (reportlab's
built-in STSong-Light), the paragraph styles of a report, plain-text paragraphs and the table colours."""

from __future__ import annotations

from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph

CJK_FONT = "STSong-Light"
HEADER_FILL = colors.HexColor("#eef2f6")
GRID = colors.HexColor("#9aa5b1")


@cache
def cjk_font() -> str:
    """Register the CID font once per process (reportlab keeps a global registry)."""
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def report_styles(*, heading_space_before: float = 4 * mm, cjk_wrap: bool = False) -> dict[str, ParagraphStyle]:
    """Title, heading, body and table-cell styles in the CJK font; ``cjk_wrap`` breaks lines between any two
    characters (for long Chinese text without spaces)."""
    font = cjk_font()
    wrap = {"wordWrap": "CJK"} if cjk_wrap else {}
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=22, spaceAfter=2 * mm),
        "heading": ParagraphStyle(
            "heading", fontName=font, fontSize=12, leading=16, spaceBefore=heading_space_before, spaceAfter=1.5 * mm
        ),
        "body": ParagraphStyle("body", fontName=font, fontSize=9, leading=12, **wrap),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8, leading=10, **wrap),
    }


def plain_paragraph(value: str, style: ParagraphStyle, *, line_breaks: bool = False) -> Paragraph:
    """A paragraph of plain text: what users typed may hold ``<`` or ``&``, which reportlab reads as markup."""
    text = escape(value)
    return Paragraph(text.replace("\n", "<br/>") if line_breaks else text, style)
