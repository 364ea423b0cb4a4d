"""The ward domain: entities, services and renderers, free of Telegram and SQLAlchemy."""
