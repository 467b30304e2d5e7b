"""Shipped kiosk.toml presets, one per market (package data read by ``write_preset``).

Each file is a complete configuration except for ``@TERMINAL_ID@`` and ``@TERMINAL_KEY@``,
which ``kiosk init`` fills in. The comments cite business-rules.md for every number.
"""
