"""The soak: power cuts (LazyFS) and fault storms against the whole kiosk, with figures.

``python -m soak`` (``make soak``) runs both harnesses at size and prints the table that
docs/reliability.md records; tests/reliability/test_soak.py runs them small inside ``make test``.
"""
