"""Device boundaries: receipt printer (with print barrier), card reader, scanner, cash drawer.

Never imports ``terminal``: devices know nothing of sales.
"""

from drivers import escpos_cache

# Before any driver imports python-escpos: its capabilities cache goes to the kiosk's private
# cache folder, not a new folder in $TMPDIR per process (drivers.escpos_cache says why).
escpos_cache.load()
