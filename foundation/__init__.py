"""What every package of the terminal shares, and nothing else: the leaf of the import graph.

- :mod:`foundation.money`: amounts in integer minor units, and how a market writes and reads them.
- :mod:`foundation.clock`: the one source of time (wall for people, monotonic for waits).
- :mod:`foundation.host_wire`: the wire contract with the provider's host (signing, message
  kinds, refusal codes), which the terminal and the reference host both speak.
- :mod:`foundation.errors`: the one error root, :class:`~foundation.errors.ClerkFacingError`.

Nothing here imports another package of this project (``import-linter`` checks it in
``make test``), so drivers, the store, the slip templates, the reference host and the terminal
can all stand on it without reaching into each other.
"""
