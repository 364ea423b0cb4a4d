"""SQLAlchemy storage: models, repositories, unit of work and migrations."""
