"""Small French typography helpers for generated text."""

from __future__ import annotations

VOWELS = set("aeiouyhàâäéèêëîïôöûüÿAEIOUYHÀÂÄÉÈÊËÎÏÔÖÛÜŸ")


def de(name: str) -> str:
    """'de Paul', "d'Emma" (elision before a vowel or a mute h)."""
    name = (name or "").strip()
    return f"d'{name}" if name[:1] in VOWELS else f"de {name}"
