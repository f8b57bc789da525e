"""Jetstream's zstd mode (``compress=true``): binary frames compressed with the dictionary Jetstream publishes.

The dictionary (``data/jetstream_zstd_dictionary``, 112,640 bytes) is the one Jetstream's v1 ``compress=true``
scheme uses; it is a data file copied from github.com/bluesky-social/jetstream (MIT / Apache-2.0), needed at run
time. A frame decompresses to one event's JSON text; its output is capped (a frame cannot grow into a memory bomb)
and a frame that does not decompress is reported as None (counted malformed by the run).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import zstandard

DICTIONARY_PATH = Path(__file__).with_name("data") / "jetstream_zstd_dictionary"
MAX_DECOMPRESSED_BYTES = 2 << 20


@cache
def dictionary() -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(DICTIONARY_PATH.read_bytes())


def decompressor() -> Callable[[str | bytes], str | bytes | None]:
    """A function from a received frame to its JSON text (text frames pass through), or None when unreadable."""
    engine = zstandard.ZstdDecompressor(dict_data=dictionary())

    def decode(frame: str | bytes) -> str | bytes | None:
        if isinstance(frame, str):
            return frame
        try:
            return engine.decompress(frame, max_output_size=MAX_DECOMPRESSED_BYTES)
        except zstandard.ZstdError:
            return None

    return decode


def compressor() -> zstandard.ZstdCompressor:
    """What a Jetstream server does to each event (the loopback fake and the bench use it)."""
    return zstandard.ZstdCompressor(dict_data=dictionary())
