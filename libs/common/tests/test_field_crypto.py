import base64

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from tefu_common import field_crypto
from tefu_common.crypto_mode import crypto_mode
from tefu_common.field_crypto import (
    BlindIndex,
    DecryptionError,
    EncryptedString,
    FieldCipher,
    KeyRing,
    configure_field_crypto,
    generate_key,
    get_blind_index,
    get_field_cipher,
)

CTX = "member.id_number"
ID_NUMBER = "11010519491231002X"
# The version prefix of the suite's mode (TEFU_CRYPTO): v1 AES-256-GCM, v2 SM4-GCM.
V = field_crypto.TOKEN_VERSIONS[crypto_mode()]


def _cipher(keys=None, active="k1"):
    keys = keys or {"k1": generate_key()}
    return FieldCipher(KeyRing.from_config(keys, active))


@pytest.fixture
def configured():
    saved = (field_crypto._cipher, field_crypto._blind_index)
    configure_field_crypto(_cipher(), BlindIndex.from_base64(generate_key(), key_id="bi1"))
    yield
    field_crypto._cipher, field_crypto._blind_index = saved


# --- FieldCipher -----------------------------------------------------------

def test_round_trip_chinese_text():
    cipher = _cipher()
    plain = "张三，北京市朝阳区建国路 88 号"
    token = cipher.encrypt(plain, context="member.address")
    assert token.startswith(f"{V}.k1.")
    assert token.isascii() and "=" not in token
    assert plain not in token
    assert cipher.decrypt(token, context="member.address") == plain


def test_round_trip_empty_string():
    cipher = _cipher()
    assert cipher.decrypt(cipher.encrypt("", context=CTX), context=CTX) == ""


def test_random_nonce_gives_different_tokens():
    cipher = _cipher()
    a, b = cipher.encrypt(ID_NUMBER, context=CTX), cipher.encrypt(ID_NUMBER, context=CTX)
    assert a != b
    assert cipher.decrypt(a, context=CTX) == cipher.decrypt(b, context=CTX) == ID_NUMBER


def test_wrong_context_fails():
    cipher = _cipher()
    token = cipher.encrypt(ID_NUMBER, context=CTX)
    with pytest.raises(DecryptionError) as exc:
        cipher.decrypt(token, context="member.phone")
    assert ID_NUMBER not in str(exc.value)


def test_tampered_ciphertext_fails():
    cipher = _cipher()
    token = cipher.encrypt(ID_NUMBER, context=CTX)
    prefix, payload = token.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[-1] ^= 0x01
    tampered = prefix + "." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(DecryptionError):
        cipher.decrypt(tampered, context=CTX)


@pytest.mark.parametrize(
    "bad", ["", "garbage", "v3.k1.AAAA", "v2.k1.AAAA", "v1.k1.", "v1.k1.!!!!", "v1.bad id.AAAA"]
)
def test_malformed_tokens_fail(bad):
    with pytest.raises(DecryptionError):
        _cipher().decrypt(bad, context=CTX)


def test_unknown_key_id_fails():
    token = _cipher().encrypt(ID_NUMBER, context=CTX)
    other = _cipher({"k9": generate_key()}, "k9")
    with pytest.raises(DecryptionError, match="k1"):
        other.decrypt(token, context=CTX)


def test_rotation():
    k1, k2 = generate_key(), generate_key()
    old_cipher = _cipher({"k1": k1}, "k1")
    old_token = old_cipher.encrypt(ID_NUMBER, context=CTX)

    cipher = _cipher({"k1": k1, "k2": k2}, "k2")
    assert cipher.decrypt(old_token, context=CTX) == ID_NUMBER
    assert cipher.needs_rotation(old_token)

    new_token = cipher.rotate(old_token, context=CTX)
    assert new_token.startswith(f"{V}.k2.")
    assert not cipher.needs_rotation(new_token)
    assert cipher.decrypt(new_token, context=CTX) == ID_NUMBER
    assert cipher.rotate(new_token, context=CTX) == new_token

    retired = _cipher({"k2": k2}, "k2")
    assert retired.decrypt(new_token, context=CTX) == ID_NUMBER
    with pytest.raises(DecryptionError):
        retired.decrypt(old_token, context=CTX)


# --- KeyRing configuration -------------------------------------------------

def test_generate_key_is_32_bytes_and_unique():
    a, b = generate_key(), generate_key()
    assert len(base64.b64decode(a)) == 32 and a != b


def test_from_config_accepts_urlsafe_base64():
    raw = bytes(range(200, 232))  # produces '+'/'/' in standard base64
    urlsafe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    ring = KeyRing.from_config({"k1": urlsafe}, "k1")
    assert ring.get("k1") == raw
    assert "k1" in repr(ring) and urlsafe not in repr(ring)


def test_bad_base64_names_key():
    with pytest.raises(ValueError, match="'bad'.*base64"):
        KeyRing.from_config({"bad": "not base64 !!"}, "bad")


def test_wrong_length_names_key():
    short = base64.b64encode(b"x" * 16).decode()
    with pytest.raises(ValueError, match="'short'.*32 bytes"):
        KeyRing.from_config({"short": short}, "short")


def test_missing_active_key_names_key():
    with pytest.raises(ValueError, match="'k2'"):
        KeyRing.from_config({"k1": generate_key()}, "k2")


@pytest.mark.parametrize("key_id", ["", "has.dot", "has space", "x" * 33])
def test_invalid_key_id_rejected(key_id):
    with pytest.raises(ValueError, match="key id"):
        KeyRing.from_config({key_id: generate_key()}, key_id)


# --- BlindIndex ------------------------------------------------------------

def test_blind_index_equality_and_normalisation():
    bi = BlindIndex.from_base64(generate_key(), key_id="bi1")
    upper = bi.compute("11010519491231002X", context=CTX)
    assert upper == bi.compute("11010519491231002x", context=CTX)
    assert upper == bi.compute("  １１０１０５１９４９１２３１００２ｘ ", context=CTX)
    assert upper != bi.compute("110105194912310039", context=CTX)
    assert len(upper) == 64 and ID_NUMBER not in upper


def test_blind_index_custom_normalise():
    bi = BlindIndex.from_base64(generate_key(), key_id="bi1")
    digits_only = lambda v: "".join(c for c in v if c.isdigit())  # noqa: E731
    assert bi.compute("138-0013-8000", context="member.phone", normalise=digits_only) == bi.compute(
        "13800138000", context="member.phone", normalise=digits_only
    )


def test_blind_index_context_separates_columns():
    bi = BlindIndex.from_base64(generate_key(), key_id="bi1")
    assert bi.compute("13800138000", context="member.phone") != bi.compute(
        "13800138000", context="guardian.phone"
    )


def test_blind_index_different_keys_differ():
    a = BlindIndex.from_base64(generate_key(), key_id="bi1")
    b = BlindIndex.from_base64(generate_key(), key_id="bi2")
    assert a.compute(ID_NUMBER, context=CTX) != b.compute(ID_NUMBER, context=CTX)


def test_blind_index_key_validation():
    with pytest.raises(ValueError, match="'bi1'.*32 bytes"):
        BlindIndex.from_base64(base64.b64encode(b"x" * 31).decode(), key_id="bi1")
    with pytest.raises(ValueError, match="'bi1'.*base64"):
        BlindIndex.from_base64("*** not base64 ***", key_id="bi1")
    assert BlindIndex(b"y" * 64, key_id="bi1").key_id == "bi1"


# --- Process-wide configuration and SQLAlchemy ------------------------------

def test_unconfigured_raises(monkeypatch):
    monkeypatch.setattr(field_crypto, "_cipher", None)
    monkeypatch.setattr(field_crypto, "_blind_index", None)
    with pytest.raises(RuntimeError, match="configure_field_crypto"):
        get_field_cipher()
    with pytest.raises(RuntimeError, match="configure_field_crypto"):
        get_blind_index()


class Base(DeclarativeBase):
    pass


class Member(Base):
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(EncryptedString("member.name"))
    id_number: Mapped[str] = mapped_column(EncryptedString("member.id_number"))
    id_number_bidx: Mapped[str] = mapped_column(index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedString("member.phone"), nullable=True)


def test_encrypted_string_sqlite_round_trip(configured):
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    bidx = get_blind_index()

    with Session(engine) as session:
        session.add(
            Member(
                id=1,
                name="李四",
                id_number=ID_NUMBER,
                id_number_bidx=bidx.compute(ID_NUMBER, context=CTX),
                phone=None,
            )
        )
        session.commit()

    with engine.connect() as conn:
        row = conn.execute(text("SELECT name, id_number, phone FROM member WHERE id = 1")).one()
    assert row.name != "李四" and row.name.startswith(f"{V}.")
    assert row.id_number != ID_NUMBER and ID_NUMBER not in row.id_number
    assert row.phone is None
    assert get_field_cipher().decrypt(row.id_number, context=CTX) == ID_NUMBER

    with Session(engine) as session:
        found = session.scalars(
            select(Member).where(
                Member.id_number_bidx == bidx.compute("11010519491231002x", context=CTX)
            )
        ).one()
        assert found.name == "李四"
        assert found.id_number == ID_NUMBER
        assert found.phone is None


def test_encrypted_string_rejects_swapped_column(configured):
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    token = get_field_cipher().encrypt("王五", context="member.name")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO member (id, name, id_number, id_number_bidx) "
                "VALUES (1, :t, :t, 'x')"
            ),
            {"t": token},
        )
    with Session(engine) as session, pytest.raises(DecryptionError):
        session.get(Member, 1)


def test_a_column_encrypted_at_once_reads_as_each_value_encrypted_alone():
    cipher = _cipher()
    values = ["张秀兰", None, "", ID_NUMBER, "张秀兰"]
    tokens = cipher.encrypt_many(values, context=CTX)
    assert tokens[1] is None and len(tokens) == 5
    assert [cipher.decrypt(t, context=CTX) if t is not None else None for t in tokens] == values
    assert tokens[0] != tokens[4]  # a nonce of its own for each value
    assert len({t[len(f"{V}.k1."):][:16] for t in tokens if t}) == 4
    one = cipher.encrypt("张秀兰", context=CTX)
    assert all(t.startswith(f"{V}.k1.") and t.isascii() and "=" not in t for t in tokens if t)
    assert len(tokens[0]) == len(one)
    with pytest.raises(DecryptionError):
        cipher.decrypt(tokens[0], context="member.phone")


def test_a_column_opened_at_once_reads_as_each_token_opened_alone():
    cipher = _cipher()
    values = ["张秀兰", None, "", ID_NUMBER]
    tokens = [cipher.encrypt(v, context=CTX) if v is not None else None for v in values]
    assert cipher.decrypt_many(tokens, context=CTX) == values
    # A token that cannot be opened fails as it fails alone, with the reason.
    for broken, reason in ((tokens[0][:-2] + "AA", "authentication failed"), ("v9.k1.abc", "not a v1 or v2"),
                           (f"{V}.k7.{tokens[0].split('.')[2]}", "unknown key id"), (f"{V}.k1.@@@@", "malformed")):
        with pytest.raises(DecryptionError, match=reason):
            cipher.decrypt_many([tokens[0], broken], context=CTX)
    with pytest.raises(DecryptionError, match="authentication failed"):
        cipher.decrypt_many(tokens, context="member.phone")
