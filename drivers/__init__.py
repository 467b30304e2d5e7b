"""Device boundaries: receipt printer (with print barrier), card reader, scanner, cash drawer.

Never imports ``terminal``: devices know nothing of sales. Importing ``drivers`` is cheap: only
the subpackages that need python-escpos (``drivers.printer``, ``drivers.virtual_printer``) load
it, through :func:`drivers.escpos_cache.load`, so commands that never print never pay for it.
"""
