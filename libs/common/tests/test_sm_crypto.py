"""The SM algorithms (TEFU_CRYPTO=sm): checked against the standards' own samples and against a
second implementation (OpenSSL 3), whatever mode the tests run in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import subprocess

import gmalg
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tefu_common.auth.keys import document_algorithm, key_paths, write_key_files
from tefu_common.auth.keys_cli import main as tefu_keys
from tefu_common.crypto_mode import CryptoMode
from tefu_common.field_crypto import BlindIndex, DecryptionError, FieldCipher, KeyRing, generate_key
from tefu_common.signing import document_key_file, load_signer
from tefu_common.sm2 import Sm2PrivateKey, Sm2PublicKey

# GB/T 32918.2-2016 (GM/T 0003.2) Annex A, on the recommended curve: key, signer ID, message, signature.
SAMPLE_D = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F9588939369 2860B51A42FB81EF4DF7C5B8".replace(" ", ""))
SAMPLE_X = bytes.fromhex("09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020")
SAMPLE_Y = bytes.fromhex("CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
SAMPLE_R = bytes.fromhex("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3")
SAMPLE_S = bytes.fromhex("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA")
SAMPLE_MESSAGE = b"message digest"

openssl_sm2 = pytest.mark.skipif(
    shutil.which("openssl") is None
    or "SM2" not in subprocess.run(["openssl", "list", "-public-key-algorithms"], capture_output=True, text=True).stdout,
    reason="no OpenSSL 3 with SM2 on this machine")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _der_signature(signature: bytes) -> bytes:
    """r ‖ s as the DER SEQUENCE of two INTEGERs that OpenSSL reads."""
    def integer(value: bytes) -> bytes:
        body = value.lstrip(b"\0")
        body = b"\0" + body if body[0] & 0x80 else body
        return b"\x02" + bytes([len(body)]) + body
    content = integer(signature[:32]) + integer(signature[32:])
    return b"\x30" + bytes([len(content)]) + content


# --- SM2 ----------------------------------------------------------------------

def test_the_standards_sample_signature_verifies_and_an_altered_one_does_not():
    public = Sm2PublicKey.from_jwk({"kty": "EC", "crv": "SM2", "x": _b64url(SAMPLE_X), "y": _b64url(SAMPLE_Y)})
    assert public.verify(SAMPLE_R + SAMPLE_S, SAMPLE_MESSAGE)
    assert not public.verify(SAMPLE_R + SAMPLE_S, b"message digesT")
    assert not public.verify(SAMPLE_R + bytes([SAMPLE_S[0] ^ 1]) + SAMPLE_S[1:], SAMPLE_MESSAGE)
    assert not public.verify(SAMPLE_R + SAMPLE_S[:-1], SAMPLE_MESSAGE)  # not 64 bytes
    # The sample's private key gives the sample's public key, and its own signatures verify.
    key = Sm2PrivateKey(SAMPLE_D)
    assert key.public_key == public
    assert public.verify(key.sign(SAMPLE_MESSAGE), SAMPLE_MESSAGE)


def test_a_point_off_the_curve_is_refused():
    with pytest.raises(ValueError):
        Sm2PublicKey.from_jwk({"kty": "EC", "crv": "SM2", "x": _b64url(SAMPLE_X), "y": _b64url(SAMPLE_X)})


def test_signatures_are_64_bytes_and_differ_each_time():
    key = Sm2PrivateKey.generate()
    first, second = key.sign(b"same"), key.sign(b"same")
    assert len(first) == len(second) == 64 and first != second  # a fresh nonce each time
    assert key.public_key.verify(first, b"same") and key.public_key.verify(second, b"same")


def test_the_private_key_file_is_pkcs8_and_survives_a_round_trip(tmp_path):
    key = Sm2PrivateKey.generate()
    pem = key.pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert Sm2PrivateKey.from_pem(pem) == key
    ed25519 = write_key_files(tmp_path)  # an Ed25519 key is refused
    with pytest.raises(ValueError):
        Sm2PrivateKey.from_pem(ed25519.pem())
    assert "scalar" not in repr(key) and key.scalar.hex() not in repr(key)


@openssl_sm2
def test_openssl_verifies_our_signatures_and_we_verify_its(tmp_path):
    ours = Sm2PrivateKey.generate()
    (tmp_path / "ours.pem").write_bytes(ours.pem())
    message = "电子卡 header.payload".encode()
    (tmp_path / "message").write_bytes(message)
    subprocess.run(["openssl", "pkey", "-in", "ours.pem", "-pubout", "-out", "ours-public.pem"], cwd=tmp_path, check=True)
    (tmp_path / "ours.sig").write_bytes(_der_signature(ours.sign(message)))
    verified = subprocess.run(["openssl", "dgst", "-sm3", "-verify", "ours-public.pem", "-sigopt",
                               "distid:1234567812345678", "-signature", "ours.sig", "message"],
                              cwd=tmp_path, capture_output=True, text=True)
    assert verified.returncode == 0 and "Verified OK" in verified.stdout

    # A key OpenSSL made is read as it is, and what OpenSSL signs with it verifies here.
    subprocess.run(["openssl", "genpkey", "-algorithm", "SM2", "-out", "theirs.pem"], cwd=tmp_path, check=True)
    theirs = Sm2PrivateKey.load(tmp_path / "theirs.pem")
    subprocess.run(["openssl", "dgst", "-sm3", "-sign", "theirs.pem", "-sigopt", "distid:1234567812345678",
                    "-out", "theirs.sig", "message"], cwd=tmp_path, check=True)
    der = (tmp_path / "theirs.sig").read_bytes()
    r_length = der[3]
    r, s = der[4:4 + r_length], der[6 + r_length:]
    signature = r.lstrip(b"\0").rjust(32, b"\0") + s.lstrip(b"\0").rjust(32, b"\0")
    assert theirs.public_key.verify(signature, message)
    assert not theirs.public_key.verify(signature, message + b"!")


# --- signers and key files ----------------------------------------------------------

def test_the_mode_names_the_key_file_and_the_signer(tmp_path):
    configured = tmp_path / "payments-file-ed25519.pem"
    assert document_key_file(configured, CryptoMode.SM) == tmp_path / "payments-file-sm2.pem"
    assert document_key_file(configured, CryptoMode.STANDARD) == configured
    with pytest.raises(ValueError):
        document_key_file(tmp_path / "payments-file.pem")

    standard = load_signer(configured, create=True, mode=CryptoMode.STANDARD)
    sm = load_signer(configured, create=True, mode=CryptoMode.SM)
    assert (standard.algorithm, sm.algorithm) == ("EdDSA", "SM2")
    assert (tmp_path / "payments-file-sm2.pem").is_file() and (tmp_path / "payments-file-ed25519.pem").is_file()
    current = sm.jwks["keys"][0]
    assert (current["kty"], current["crv"], current["alg"], current["kid"]) == ("EC", "SM2", "SM2", sm.kid)
    assert set(current) == {"kty", "crv", "x", "y", "kid", "alg", "use"}  # no private member
    # One JWKS for both: what the Ed25519 key signed before the switch still verifies, by its kid.
    published = json.loads((tmp_path / "payments-file-jwks.json").read_text())
    assert {k["kid"] for k in published["keys"]} == {standard.kid, sm.kid}
    signed_before = standard.sign(b"manifest")
    assert sm.verify(standard.kid, b"manifest", signed_before) and sm.verify(sm.kid, b"manifest", sm.sign(b"manifest"))
    assert sm.algorithms == {"EdDSA", "SM2"}
    # A document's alg must be its key's: an SM2 signature presented as EdDSA (or the reverse) is refused.
    assert not sm.verify(sm.kid, b"manifest", sm.sign(b"manifest"), algorithm="EdDSA")
    assert not sm.verify(standard.kid, b"manifest", signed_before, algorithm="SM2")
    assert sm.verify(standard.kid, b"manifest", signed_before, algorithm="EdDSA")
    assert not sm.verify(sm.kid, b"manifesT", sm.sign(b"manifest"))
    assert not sm.verify("no-such-kid", b"manifest", signed_before)


def test_a_missing_key_in_production_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="tefu-keys generate .* --name ecard` with TEFU_CRYPTO=sm"):
        load_signer(tmp_path / "ecard-ed25519.pem", create=False, mode=CryptoMode.SM)


def test_tefu_keys_makes_document_keys_of_the_mode_and_keeps_the_issuer_ed25519(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TEFU_CRYPTO", "sm")
    assert document_algorithm() == "sm2"
    tefu_keys(["generate", "--dir", str(tmp_path), "--name", "ecard"])
    tefu_keys(["generate", "--dir", str(tmp_path)])
    assert "ecard sm2 key" in capsys.readouterr().out
    assert key_paths(tmp_path, "ecard", "sm2")[0].is_file() and key_paths(tmp_path, "issuer")[0].is_file()
    first = Sm2PrivateKey.load(key_paths(tmp_path, "ecard", "sm2")[0])
    tefu_keys(["rotate", "--dir", str(tmp_path), "--name", "ecard"])
    rotated = Sm2PrivateKey.load(key_paths(tmp_path, "ecard", "sm2")[0])
    assert rotated != first
    kids = [k["kid"] for k in json.loads((tmp_path / "ecard-jwks.json").read_text())["keys"]]
    assert kids == [rotated.kid, first.kid]  # the new key first, the old one still published


# --- SM4 fields and HMAC-SM3 indexes ------------------------------------------------

def test_sm4_gcm_is_the_rfc_8998_sample():
    """The primitive the SM4 fields rest on (cryptography's SM4 in GCM), against RFC 8998 A.1."""
    encryptor = Cipher(algorithms.SM4(bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")),
                       modes.GCM(bytes.fromhex("00001234567800000000ABCD"))).encryptor()
    encryptor.authenticate_additional_data(bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2"))
    plain = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
                          "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
    sealed = encryptor.update(plain) + encryptor.finalize()
    assert sealed.hex().upper() == ("17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
                                    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D")
    assert encryptor.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"


def test_an_sm4_token_is_what_the_module_documents():
    """v2.<key id>.<b64url(nonce ‖ ciphertext ‖ tag)>, SM4-GCM under HKDF-SM3 of the configured key,
    the context as associated data: read back here with nothing but those words."""
    raw = bytes(range(32))
    cipher = FieldCipher(KeyRing({"k1": raw}, "k1"), mode=CryptoMode.SM)
    token = cipher.encrypt("11010519491231002X", context="member.id_number")
    version, key_id, payload = token.split(".")
    assert (version, key_id) == ("v2", "k1")
    blob = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    key = HKDF(hashes.SM3(), 16, salt=None, info=b"tefu field-crypto sm4-gcm").derive(raw)
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(blob[:12], blob[-16:])).decryptor()
    decryptor.authenticate_additional_data(b"member.id_number")
    assert decryptor.update(blob[12:-16]) + decryptor.finalize() == b"11010519491231002X"


def test_each_mode_reads_the_others_tokens_and_marks_them_for_rotation():
    keys = KeyRing.from_config({"k1": generate_key()}, "k1")
    standard, sm = FieldCipher(keys, mode=CryptoMode.STANDARD), FieldCipher(keys, mode=CryptoMode.SM)
    aes, sm4 = standard.encrypt("李秀英", context="member.name"), sm.encrypt("李秀英", context="member.name")
    assert aes.startswith("v1.k1.") and sm4.startswith("v2.k1.")
    for cipher in (standard, sm):
        assert cipher.decrypt(aes, context="member.name") == cipher.decrypt(sm4, context="member.name") == "李秀英"
    assert (standard.needs_rotation(aes), standard.needs_rotation(sm4)) == (False, True)
    assert (sm.needs_rotation(aes), sm.needs_rotation(sm4)) == (True, False)
    rotated = sm.rotate(aes, context="member.name")
    assert rotated.startswith("v2.k1.") and standard.decrypt(rotated, context="member.name") == "李秀英"
    with pytest.raises(DecryptionError):
        sm.decrypt(sm4, context="member.phone")  # the context is authenticated in SM4-GCM too
    tampered = sm4[:-2] + ("A" if sm4[-2] != "A" else "B") + sm4[-1]
    with pytest.raises(DecryptionError):
        sm.decrypt(tampered, context="member.name")


def test_the_sm_blind_index_is_hmac_sm3_computed_independently():
    """HMAC (RFC 2104) over gmalg's SM3, by hand: the index is HMAC-SM3 of the documented message."""
    key = bytes(range(32))
    index = BlindIndex(key, key_id="bi-1", mode=CryptoMode.SM)
    context, value = b"member.id_number", "11010519491231002x"
    message = len(context).to_bytes(4, "big") + context + value.upper().encode()

    def sm3(data: bytes) -> bytes:
        digest = gmalg.SM3()
        digest.update(data)
        return digest.value()

    padded = key.ljust(64, b"\0")
    inner = sm3(bytes(b ^ 0x36 for b in padded) + message)
    expected = sm3(bytes(b ^ 0x5C for b in padded) + inner).hex()
    assert index.compute(value, context="member.id_number") == expected
    standard = BlindIndex(key, key_id="bi-1", mode=CryptoMode.STANDARD).compute(value, context="member.id_number")
    assert standard != expected and len(standard) == len(expected) == 64
    assert standard == hmac.new(key, message, hashlib.sha256).hexdigest()
