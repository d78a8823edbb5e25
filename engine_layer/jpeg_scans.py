"""Count a JPEG's scans (SOS segments) from its bytes, without decoding it.

A progressive JPEG is decoded scan by scan, each scan a pass over the whole image, so a small file with
thousands of near-empty scans costs minutes of CPU: a decompression bomb the width and height do not
show. Real encoders write few scans (libjpeg's and mozjpeg's progressive scripts: 10 for colour, 6 for
grey; baseline: 1 per colour component or 1 interleaved), so a file with more than MAX_JPEG_SCANS is
refused before a pixel is decoded.
"""

from __future__ import annotations

MAX_JPEG_SCANS = 100

_SOI, _SOS, _EOI = 0xD8, 0xDA, 0xD9
# Markers without a length field: TEM, RST0..RST7 (SOI/EOI handled apart).
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def count_scans(data: bytes, stop_after: int = MAX_JPEG_SCANS + 1) -> int:
    """SOS segments in a JPEG, walking its marker segments (so an EXIF thumbnail or an ICC profile that
    happens to hold the bytes FF DA is not counted). Linear in the size; stops once `stop_after` are
    found. A truncated or damaged file counts what was read: decoding will refuse it anyway."""
    if data[:2] != b"\xff\xd8":
        return 0
    scans, at, size = 0, 2, len(data)
    while at + 1 < size and scans < stop_after:
        if data[at] != 0xFF:
            return scans  # not at a marker: damaged
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        at += 2
        if marker == _EOI:
            return scans
        if marker in _STANDALONE or marker == _SOI:
            continue
        if at + 1 >= size:
            return scans
        at += (data[at] << 8) | data[at + 1]  # the segment's length counts its own two bytes
        if marker == _SOS:
            scans += 1
            at = _end_of_entropy_data(data, at)
    return scans


def _end_of_entropy_data(data: bytes, at: int) -> int:
    """Where the entropy-coded data after a scan header ends: the next marker that is not a stuffed
    byte (FF 00) or a restart marker (FF D0..D7)."""
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            return len(data)
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            at += 1 if following == 0xFF else 2
            continue
        return at
