"""The migrations build exactly the schema the models describe."""

from tefu_payments.models import Base
from tefu_common.testing import schema_drift


def test_models_match_migrations(database_url):
    assert schema_drift(database_url, Base.metadata) == []
