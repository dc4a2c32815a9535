"""Alembic environment of the payments service."""

from tefu_common.migrations import run_env
from tefu_payments.models import Base
from tefu_payments.settings import PaymentsSettings

run_env(target_metadata=Base.metadata, default_url=PaymentsSettings().database_url)
