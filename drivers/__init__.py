"""Device boundaries: receipt printer (with print barrier), card reader, scanner, cash drawer.

Never imports ``terminal``: devices know nothing of sales.
"""
