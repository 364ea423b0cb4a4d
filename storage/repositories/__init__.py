"""Repositories: the domain's ports over one AsyncSession, returning frozen domain dataclasses."""

from storage.repositories.bedside import SqlBedSigns, SqlPatientLines, SqlPatientTags, SqlWardTags
from storage.repositories.orders import SqlMedicationOrders, SqlReminders, SqlWardPolicies
from storage.repositories.patients import (
    SqlAuditLog,
    SqlBoardItems,
    SqlStays,
    SqlSurgeries,
    SqlTransfers,
)
from storage.repositories.quality import (
    SqlAdverseEvents,
    SqlQualityChecks,
    SqlQualityFacts,
    SqlQualitySettings,
)
from storage.repositories.tasks import SqlTaskOccurrences
from storage.repositories.wards import SqlInvites, SqlMembers, SqlOperators, SqlUsers, SqlWards

__all__ = [
    "SqlAdverseEvents",
    "SqlAuditLog",
    "SqlBedSigns",
    "SqlBoardItems",
    "SqlInvites",
    "SqlMedicationOrders",
    "SqlMembers",
    "SqlOperators",
    "SqlPatientLines",
    "SqlPatientTags",
    "SqlQualityChecks",
    "SqlQualityFacts",
    "SqlQualitySettings",
    "SqlReminders",
    "SqlStays",
    "SqlSurgeries",
    "SqlTaskOccurrences",
    "SqlTransfers",
    "SqlUsers",
    "SqlWardPolicies",
    "SqlWardTags",
    "SqlWards",
]
