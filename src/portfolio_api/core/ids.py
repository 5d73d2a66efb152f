"""Server-generated ids: time-ordered, URL-safe, and never mistaken for a slug."""

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


def new_id() -> str:
    """A 26-character ULID-style id: 48 bits of milliseconds, then 80 random bits.

    It always holds an upper-case letter, so it can never read as a (lower-case) slug.
    """
    while True:
        value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
        text = "".join(_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))
        if any(c.isalpha() for c in text):
            return text
