"""SQLAlchemy storage: models, repositories, unit of work and migrations."""

from storage.migrate import downgrade, open_database, upgrade
from storage.uow import Database, SqlUnitOfWork, default_sqlite_url

__all__ = [
    "Database",
    "SqlUnitOfWork",
    "default_sqlite_url",
    "downgrade",
    "open_database",
    "upgrade",
]
