"""Search by part of a name and by the last 4 or 6 characters of an ID number: the grams of every
member's name (``member_name_gram``), an index on ``member.id_number_last4`` and a blind index of
the last 6 characters (``member.id_number_tail6_index``), backfilled for the members already
registered.

The backfill decrypts each name and ID number, so it needs the registry's field keys: it reads
them from the registry's settings (the environment, as the service does). It walks the members in
chunks by id, so a national register is never held in memory at once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 2000  # members a round trip: some 10,000 gram rows


def upgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("id_number_tail6_index", sa.String(64), nullable=True))
        batch.create_index(batch.f("ix_member_id_number_tail6_index"), ["id_number_tail6_index"])
        batch.create_index(batch.f("ix_member_id_number_last4"), ["id_number_last4"])
    op.create_table(
        "member_name_gram",
        sa.Column("gram", sa.String(32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_member_name_gram_member_id_member")),
        sa.PrimaryKeyConstraint("gram", "member_id", name=op.f("pk_member_name_gram")),
    )
    backfill(op.get_bind())


def backfill(connection: sa.Connection) -> None:
    """Grams and tail indexes of every member already registered, chunk by chunk."""
    if connection.execute(sa.text("SELECT 1 FROM member LIMIT 1")).first() is None:
        return  # nothing to backfill, and no keys needed
    # The same functions registration uses, so a member backfilled and a member registered today
    # are found alike.
    from tefu_common.app import configure_encryption
    from tefu_common.field_crypto import get_field_cipher
    from tefu_registry.families.indexes import id_number_tail6_index, name_grams
    from tefu_registry.settings import RegistrySettings

    configure_encryption(RegistrySettings())
    cipher = get_field_cipher()
    postgresql = connection.dialect.name == "postgresql"
    member = sa.table("member", sa.column("id", sa.Integer), sa.column("name", sa.Text),
                      sa.column("id_number", sa.Text), sa.column("id_number_tail6_index", sa.String))
    gram = sa.table("member_name_gram", sa.column("gram", sa.String), sa.column("member_id", sa.Integer))
    read = (sa.select(member.c.id, member.c.name, member.c.id_number)
            .where(member.c.id > sa.bindparam("after")).order_by(member.c.id).limit(CHUNK))
    after = 0
    while rows := connection.execute(read, {"after": after}).all():
        grams: list[tuple[str, int]] = []
        tails: list[tuple[int, str]] = []
        for member_id, name, id_number in rows:
            grams += [(g, member_id) for g in sorted(name_grams(cipher.decrypt(name, context="member.name")))]
            if id_number is not None:
                tails.append((member_id, id_number_tail6_index(cipher.decrypt(id_number, context="member.id_number"))))
        if postgresql:
            # Two array parameters a statement, as registration writes grams: millions of members
            # would otherwise be millions of single-row statements.
            connection.execute(sa.text(
                "INSERT INTO member_name_gram (gram, member_id) "
                "SELECT * FROM unnest(CAST(:grams AS varchar[]), CAST(:member_ids AS integer[]))"),
                {"grams": [g for g, _ in grams], "member_ids": [m for _, m in grams]})
            if tails:
                connection.execute(sa.text(
                    "UPDATE member SET id_number_tail6_index = t.tail "
                    "FROM unnest(CAST(:member_ids AS integer[]), CAST(:tails AS varchar[])) AS t(id, tail) "
                    "WHERE member.id = t.id"),
                    {"member_ids": [m for m, _ in tails], "tails": [t for _, t in tails]})
        else:
            connection.execute(sa.insert(gram), [{"gram": g, "member_id": m} for g, m in grams])
            if tails:
                connection.execute(
                    sa.update(member).where(member.c.id == sa.bindparam("member_id"))
                    .values(id_number_tail6_index=sa.bindparam("tail")),
                    [{"member_id": m, "tail": t} for m, t in tails])
        after = rows[-1][0]


def downgrade() -> None:
    op.drop_table("member_name_gram")
    with op.batch_alter_table("member") as batch:
        batch.drop_index(batch.f("ix_member_id_number_last4"))
        batch.drop_index(batch.f("ix_member_id_number_tail6_index"))
        batch.drop_column("id_number_tail6_index")
