"""The migrations build exactly the schema the models describe."""

from tefu_common.testing import schema_drift
from tefu_supervision.models import Base


def test_models_match_migrations(database_url):
    assert schema_drift(database_url, Base.metadata) == []
