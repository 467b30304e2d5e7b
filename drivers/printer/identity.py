"""Who the printer says it is (``GS I``), and whether that matches the configured profile.

The profile decides the code pages the slip is encoded in. A TM-T20III behind a TM-T88V profile
prints ``€`` as a replacement box, so the terminal reads the printer's maker and model at start
and warns, naming the code pages it will use, when they differ from the profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from escpos.capabilities import get_profile

#: GS I 65..67: firmware version, maker name, model name; each answered ``0x5F text 0x00``.
GS_I_FIRMWARE = b"\x1dI\x41"
GS_I_MAKER = b"\x1dI\x42"
GS_I_MODEL = b"\x1dI\x43"


@dataclass(frozen=True)
class PrinterIdentity:
    """What ``GS I`` returned; empty strings for what the printer did not say."""

    maker: str = ""
    model: str = ""
    firmware: str = ""

    @property
    def known(self) -> bool:
        return bool(self.maker or self.model)

    def as_dict(self) -> dict[str, str]:
        return {"maker": self.maker, "model": self.model, "firmware": self.firmware}


def _norm(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", name.upper())


def code_pages(profile: str) -> list[str]:
    """The code pages the slip is encoded with for ``profile`` (python-escpos's database)."""
    try:
        pages = get_profile(profile).get_code_pages()
    except Exception:  # an unknown profile name: nothing to list
        return []
    return [name for name, _ in sorted(pages.items(), key=lambda kv: int(kv[1]))]


def profile_mismatch(identity: PrinterIdentity, profile: str) -> str | None:
    """A warning when the printer's model is not the configured profile; None when they agree."""
    if not identity.model:
        return None
    if _norm(identity.model) == _norm(profile) or _norm(profile) in _norm(identity.model):
        return None
    pages = ", ".join(code_pages(profile)) or "none known"
    return (
        f"the printer says it is a {identity.model} but the configured profile is {profile}; "
        f"slips are encoded for {profile} (code pages: {pages}), so characters may print wrong "
        f"- set [printer] profile to match"
    )


__all__ = [
    "GS_I_FIRMWARE",
    "GS_I_MAKER",
    "GS_I_MODEL",
    "PrinterIdentity",
    "code_pages",
    "profile_mismatch",
]
