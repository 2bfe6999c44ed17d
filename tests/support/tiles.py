"""A map tile server on loopback standing in for the real one (MAP_TILE_URL): any
/{z}/{x}/{y}.png is a plain 256-pixel tile, land colored with a grid of streets, so the
browser tests never reach out to the network and a screenshot still reads as a map."""

import functools
import re
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SIZE = 256
LAND, STREET, ROAD, PARK = (242, 239, 233), (255, 255, 255), (252, 214, 164), (205, 235, 176)
TILE_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


@functools.cache
def tile(x: int, y: int) -> bytes:
    """A PNG: streets every 32 px, a main road along two edges, a park in some tiles."""
    park = (x * 7 + y * 3) % 5 == 0
    rows = []
    for row in range(SIZE):
        pixels = bytearray()
        for col in range(SIZE):
            if row < 6 or col < 6:
                color = ROAD
            elif row % 32 < 3 or col % 32 < 3:
                color = STREET
            elif park and 70 < row < 150 and 90 < col < 200:
                color = PARK
            else:
                color = LAND
            pixels += bytes(color)
        rows.append(b"\x00" + bytes(pixels))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        found = TILE_PATH.match(self.path)
        if not found:
            self.send_error(404)
            return
        body = tile(int(found[2]), int(found[3]))
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class TileStandIn:
    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = self.origin + "/{z}/{x}/{y}.png"

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
