"""The SQLite store: transactions, hash-chained journal, outbox and the forwarder.

The only package that speaks SQL. Never imports ``terminal``.
"""
