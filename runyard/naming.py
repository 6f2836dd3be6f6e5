"""Readable generated run names (``adjective-noun-NNN``), as MLflow gives unnamed runs."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "able", "bold", "brave", "bright", "calm", "clever", "crisp", "eager", "fair", "fast", "fierce",
    "gentle", "glad", "grand", "happy", "keen", "kind", "lively", "loud", "lucid", "merry", "mighty",
    "neat", "nimble", "proud", "quick", "quiet", "rare", "sharp", "shy", "sleek", "smooth", "sly",
    "steady", "stout", "sunny", "swift", "tidy", "vast", "warm", "wise", "witty", "zesty",
)
_NOUNS = (
    "ant", "bass", "bat", "bear", "bee", "crab", "crane", "deer", "dove", "duck", "eel", "elk",
    "finch", "fox", "frog", "goat", "hare", "hawk", "heron", "horse", "ibis", "jay", "koi", "lark",
    "lynx", "mole", "moth", "newt", "owl", "panda", "ram", "robin", "seal", "shrew", "snail", "stag",
    "swan", "toad", "trout", "vole", "wasp", "whale", "wolf", "wren", "yak",
)


def generate_run_name() -> str:
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(0, 999)}"
