"""Liaison posts up to 16 characters (``county_leader``: the county leader Hubei 三（四） asks for
families in special difficulty), and the indexes the duty checks read by: a family's liaisons by
date, a family's contacts by date.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("liaison") as batch:
        batch.alter_column("post", existing_type=sa.String(12), type_=sa.String(16), existing_nullable=False)
    op.create_index("ix_contact_family_id_contacted_on", "contact", ["family_id", "contacted_on"])


def downgrade() -> None:
    op.drop_index("ix_contact_family_id_contacted_on", table_name="contact")
    with op.batch_alter_table("liaison") as batch:
        batch.alter_column("post", existing_type=sa.String(16), type_=sa.String(12), existing_nullable=False)
