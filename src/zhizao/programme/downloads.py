"""Files the programme's routes hand out: a workbook as an attachment with its file name."""

from __future__ import annotations

from starlette.responses import Response

from zhizao.ui.spreadsheet import XLSX_MEDIA_TYPE


def xlsx_download(content: bytes, filename: str) -> Response:
    """An .xlsx answer the browser saves as ``filename`` (a plain ASCII name, quoted)."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=XLSX_MEDIA_TYPE, headers=headers)
