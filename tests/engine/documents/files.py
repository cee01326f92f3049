"""Small real files for upload tests (a one-page PDF, a PNG) and bad ones."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfWriter


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buf, "PNG")
    return buf.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
SCRIPT = b"#!/bin/sh\nrm -rf /\n"
FAKE_PDF = b"%PDF-1.7\n this is not a pdf at all"
