"""Plain helpers of the tests (functions, data classes, constants), imported by name.

Fixtures are never here: pytest finds them in ``tests/conftest.py`` and in each area's
``tests/<area>/conftest.py``.
"""
