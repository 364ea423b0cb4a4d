"""Repositories: the domain's ports over one AsyncSession, returning frozen domain dataclasses."""

from storage.repositories.bedside import SqlBedSigns, SqlPatientLines, SqlPatientTags, SqlWardTags
from storage.repositories.dialogues import SqlDialogues
from storage.repositories.handovers import SqlHandovers
from storage.repositories.imports import SqlImportDrafts
from storage.repositories.orders import SqlMedicationOrders, SqlReminders, SqlWardPolicies
from storage.repositories.patients import (
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
from storage.repositories.records import SqlAuditLog, SqlHisMessages
from storage.repositories.retention import SqlRetention
from storage.repositories.tasks import SqlTaskOccurrences
from storage.repositories.wards import (
    SqlInvites,
    SqlMembers,
    SqlOperators,
    SqlUsers,
    SqlWardDisplays,
    SqlWards,
)

__all__ = [
    "SqlAdverseEvents",
    "SqlAuditLog",
    "SqlBedSigns",
    "SqlBoardItems",
    "SqlDialogues",
    "SqlHandovers",
    "SqlHisMessages",
    "SqlImportDrafts",
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
    "SqlRetention",
    "SqlStays",
    "SqlSurgeries",
    "SqlTaskOccurrences",
    "SqlTransfers",
    "SqlUsers",
    "SqlWardDisplays",
    "SqlWardPolicies",
    "SqlWardTags",
    "SqlWards",
]
