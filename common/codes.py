"""Codes people type: Crockford's base32 (no I, L, O or U), so a code read aloud or retyped
survives, and typing is forgiving about case, spaces, dashes, O/0 and I/L/1."""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # 5 bits a symbol
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def random_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize(raw: str) -> str:
    """What was typed, as stored: upper case, without spaces or dashes, look-alikes mapped."""
    return "".join(ch for ch in raw.upper() if ch.isalnum()).translate(_LOOKALIKES)


def grouped(code: str, size: int = 4) -> str:
    """The code in dash-separated groups, as people are shown it: ABCD-EFGH."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))
