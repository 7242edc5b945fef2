"""Decodes a PNG with the standard library (zlib) to tell whether a
screenshot shows something: no PIL needed.

    png_stats(path) -> {"width", "height", "colours", "non_white"}

colours: distinct RGB values; non_white: the share of pixels that are
not (near) white. 8-bit greyscale, RGB, grey+alpha and RGBA images,
non-interlaced (what Chromium writes); anything else is an error.
"""

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def _chunks(data):
    pos = len(SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + length]
        pos += 12 + length


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(raw, width, height, bpp):
    stride = width * bpp
    rows = []
    prev = bytearray(stride)
    pos = 0
    for _ in range(height):
        kind = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(a, b, c)) & 0xFF
            elif kind != 0:
                raise ValueError(f"bad PNG filter type {kind}")
        rows.append(bytes(line))
        prev = line
    return rows


def png_stats(path):
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(SIGNATURE):
        raise ValueError(f"{path} is not a PNG")
    header, idat = None, b""
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    if header is None:
        raise ValueError(f"{path}: no IHDR")
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in CHANNELS or interlace != 0:
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, type {colour_type})")
    bpp = CHANNELS[colour_type]
    rows = _unfilter(zlib.decompress(idat), width, height, bpp)
    colours = set()
    non_white = 0
    for line in rows:
        for x in range(0, width * bpp, bpp):
            px = line[x:x + bpp]
            rgb = (px[0],) * 3 if bpp <= 2 else tuple(px[:3])
            colours.add(rgb)
            if min(rgb) < 235:
                non_white += 1
    return {"width": width, "height": height, "colours": len(colours),
            "non_white": non_white / float(width * height)}
