"""Revision scripts of the prompt registry (loaded by Alembic, not imported)."""
