"""Document signatures per second: SM2 with SM3 (TEFU_CRYPTO=sm, pure Python) beside Ed25519.

    .venv/bin/python bench/signatures.py [--seconds 5]

What is signed is an e-card's signing input (header and claims, about 300 bytes), through the
suite's own signers (tefu_common.signing), so the figure is what issuing or checking a QR code
costs in CPU; Ed25519 (OpenSSL, through cryptography) is the baseline in the same run. Ends with
``signatures ratio=<SM2 signatures/s over Ed25519's>``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

from tefu_common.crypto_mode import CryptoMode
from tefu_common.signing import load_signer
from tefu_medical_priority.ecards.service import sign_ecard


def rate(action, seconds: float) -> float:  # type: ignore[no-untyped-def]
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        action()
        done += 1
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="per figure")
    args = parser.parse_args()
    card = SimpleNamespace(card_no="420102202600017", masked_name="李*英", region_code="420102",
                           issued_on=date.today(), valid_until=date.today() + timedelta(days=1826))
    signed_per_s = {}
    with tempfile.TemporaryDirectory() as directory:
        for mode in (CryptoMode.STANDARD, CryptoMode.SM):
            signer = load_signer(Path(directory) / "ecard-ed25519.pem", create=True, mode=mode)
            qr = sign_ecard(card, signer)
            signed, _, _ = qr.rpartition(".")
            signature = signer.sign(signed.encode())
            signs = rate(lambda: sign_ecard(card, signer), args.seconds)
            checks = rate(lambda: signer.verify(signer.kid, signed.encode(), signature), args.seconds)
            print(f"{signer.algorithm:6} e-cards signed: {signs:9.1f}/s   signatures checked: {checks:9.1f}/s"
                  f"   (input {len(signed)} bytes, one core)")
            signed_per_s[mode] = signs
    # What the SM mode keeps of the baseline's signing rate (an e-card is signed one at a time, on demand).
    print(f"signatures ratio={signed_per_s[CryptoMode.SM] / signed_per_s[CryptoMode.STANDARD]:.4f}")


if __name__ == "__main__":
    main()
