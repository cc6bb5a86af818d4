"""Alembic migrations of the prompt registry inside an application's database (see ../migrate.py)."""
