"""Every table of the payments service, for Alembic (``migrations/env.py``) and the schema-drift test.

Nothing else imports this module: domain models import ``Base`` from ``tefu_payments.database``.
"""

from tefu_payments.access_log.models import AccessLogEntry, AccessLogMember
from tefu_payments.agencies.models import Agency
from tefu_payments.batches.models import Batch, BatchTransition, LedgerLine
from tefu_payments.database import Base
from tefu_payments.notices.models import RegisterNotice
from tefu_payments.schedules.models import PaymentSchedule

__all__ = ["AccessLogEntry", "AccessLogMember", "Agency", "Base", "Batch", "BatchTransition", "LedgerLine",
           "PaymentSchedule", "RegisterNotice"]
