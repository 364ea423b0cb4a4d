"""Alembic migrations of the ward store (a package so that they ship in the wheel)."""
