"""Server-generated ids: time-ordered, URL-safe, and never mistaken for a slug."""

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_RANDOM_BITS = 80
_lock = threading.Lock()
_last = 0


def new_id() -> str:
    """A 26-character ULID-style id: 48 bits of milliseconds, then 80 random bits.

    Monotonic within a process: an id made in the same millisecond as the one before it is
    that one plus one, so lists sorted by id keep creation order. It always holds an upper-case
    letter, so it can never read as a (lower-case) slug.
    """
    global _last
    with _lock:
        value = (int(time.time() * 1000) << _RANDOM_BITS) | int.from_bytes(os.urandom(10), "big")
        while True:
            value = max(value, _last + 1)
            _last = value
            text = "".join(_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))
            if any(c.isalpha() for c in text):
                return text
