"""SQLAlchemy adapters for the bot's own database (SQLite by default, PostgreSQL in production)."""
