"""Envelope encryption of Spotify tokens: AES-256-GCM with data keys from KMS.

A data key comes from `kms:GenerateDataKey` and is reused for many tokens
for up to an hour (like the AWS Encryption SDK's caching materials manager),
so KMS is called once per container per hour, not once per token.
Decryption keeps the plaintext data keys it unwrapped, keyed by their
encrypted form, for up to six hours (at most 4,096 of them, 32 bytes each):
a listener is polled every 5 to 25 minutes, so a shorter life would make
nearly every poll a KMS call. Plaintext keys never leave the container's
memory; a new container starts with none.

Each ciphertext is bound to its own encryption context (whose tokens, for
what purpose) through AES-GCM's associated data: a ciphertext copied onto
another listener, or read for another purpose, does not decrypt. The KMS
request carries the purpose too (listener tokens or owner tokens: data keys
are never shared between purposes), so CloudTrail shows what every data key
is for and each function's IAM grant is conditioned on the purposes it needs
(`kms:EncryptionContext:purpose`, template.yaml); the per-listener binding
stays in the associated data, which costs KMS nothing.

Stored form: ``v2.<encrypted data key>.<nonce>.<ciphertext+tag>`` (base64url).
``v1`` ciphertexts, sealed before the purpose was in the KMS context, still
decrypt (with the old context) and are re-sealed as v2 at their next refresh.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v2"
LEGACY_VERSION = "v1"
KMS_CONTEXT = {"application": "soundlink", "use": "spotify-tokens"}  # + "purpose" since v2


def kms_context(purpose: str | None) -> dict[str, str]:
    """The KMS encryption context of a data key for `purpose` (None: a v1 data key)."""
    return {**KMS_CONTEXT, "purpose": purpose} if purpose else dict(KMS_CONTEXT)


DATA_KEY_SECONDS = 3600.0  # a data key encrypts for an hour, then a new one is asked for
UNWRAPPED_KEY_SECONDS = 6 * 3600.0  # an unwrapped data key is kept this long after KMS unwrapped it
DATA_KEY_MAX_USES = 10_000  # ... or after this many encryptions, whichever comes first
_DECRYPT_CACHE_SIZE = 4096
_KMS_CIPHERTEXT_MAX = 6144  # KMS refuses longer ciphertext blobs
# KMS answers that mean "this data key is not one of ours", not "KMS is unavailable".
_NOT_OUR_KEY = {"InvalidCiphertextException", "IncorrectKeyException", "ValidationException"}
_NONCE_BYTES = 12


class TokenDecryptionError(Exception):
    """The ciphertext is malformed, tampered with, or read with another context."""


@dataclass
class _DataKey:
    plaintext: bytes
    encrypted: bytes
    created: float
    uses: int = 0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _aad(context: Mapping[str, str]) -> bytes:
    if not context:
        raise ValueError("an encryption context is required: whose tokens, for what purpose")
    return json.dumps(dict(context), sort_keys=True, separators=(",", ":")).encode()


class TokenCipher:
    """Encrypts and decrypts token blobs; one instance per container."""

    def __init__(
        self,
        kms: Any,
        key_id: str,
        *,
        data_key_seconds: float = DATA_KEY_SECONDS,
        unwrapped_key_seconds: float = UNWRAPPED_KEY_SECONDS,
        data_key_max_uses: int = DATA_KEY_MAX_USES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not key_id:
            raise ValueError("TokenCipher needs the KMS key id (TOKEN_KEY_ARN)")
        self._kms = kms
        self._key_id = key_id
        self._seconds = data_key_seconds
        self._unwrapped_seconds = unwrapped_key_seconds
        self._max_uses = data_key_max_uses
        self._clock = clock
        self._lock = threading.Lock()
        self._current: dict[str, _DataKey] = {}  # per purpose
        self._unwrapped: OrderedDict[bytes, tuple[bytes, float]] = OrderedDict()

    def encrypt(self, plaintext: bytes, context: Mapping[str, str]) -> str:
        aad = _aad(context)
        if not context.get("purpose"):
            raise ValueError("the encryption context must name its purpose (listener or owner tokens)")
        key = self._data_key(context["purpose"])
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(key.plaintext).encrypt(nonce, plaintext, aad)
        return ".".join((VERSION, _b64(key.encrypted), _b64(nonce), _b64(sealed)))

    def decrypt(self, blob: str, context: Mapping[str, str]) -> bytes:
        aad = _aad(context)
        try:
            version, encrypted_key, nonce, sealed = blob.split(".")
            if version not in (VERSION, LEGACY_VERSION):
                raise ValueError(version)
            wrapped, nonce_bytes, sealed_bytes = _unb64(encrypted_key), _unb64(nonce), _unb64(sealed)
        except ValueError:
            raise TokenDecryptionError("not a Soundlink token ciphertext") from None
        purpose = context.get("purpose")
        if version == VERSION and not purpose:
            raise TokenDecryptionError("the tokens do not decrypt with this context")
        key = self._unwrap(wrapped, purpose if version == VERSION else None)
        try:
            return AESGCM(key).decrypt(nonce_bytes, sealed_bytes, aad)
        except (InvalidTag, ValueError):
            raise TokenDecryptionError("the tokens do not decrypt with this context") from None

    def encrypt_json(self, value: Any, context: Mapping[str, str]) -> str:
        return self.encrypt(json.dumps(value, separators=(",", ":")).encode(), context)

    def decrypt_json(self, blob: str, context: Mapping[str, str]) -> Any:
        return json.loads(self.decrypt(blob, context))

    # -- data keys

    def _data_key(self, purpose: str) -> _DataKey:
        with self._lock:
            now = self._clock()
            key = self._current.get(purpose)
            if key is None or now - key.created >= self._seconds or key.uses >= self._max_uses:
                answer = self._kms.generate_data_key(
                    KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=kms_context(purpose)
                )
                key = _DataKey(answer["Plaintext"], answer["CiphertextBlob"], now)
                self._current[purpose] = key
                self._remember(key.encrypted, key.plaintext, now)
            key.uses += 1
            return key

    def _unwrap(self, wrapped: bytes, purpose: str | None) -> bytes:
        with self._lock:
            now = self._clock()
            cached = self._unwrapped.get(wrapped)
            if cached and now - cached[1] < self._unwrapped_seconds:
                self._unwrapped.move_to_end(wrapped)
                return cached[0]
        if not wrapped or len(wrapped) > _KMS_CIPHERTEXT_MAX:
            raise TokenDecryptionError("the data key of these tokens is not valid")
        try:
            answer = self._kms.decrypt(
                CiphertextBlob=wrapped, EncryptionContext=kms_context(purpose), KeyId=self._key_id
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _NOT_OUR_KEY:
                raise TokenDecryptionError("the data key of these tokens is not valid") from None
            raise
        with self._lock:
            self._remember(wrapped, answer["Plaintext"], now)
        return answer["Plaintext"]

    def _remember(self, wrapped: bytes, plaintext: bytes, now: float) -> None:
        self._unwrapped[wrapped] = (plaintext, now)
        self._unwrapped.move_to_end(wrapped)
        while len(self._unwrapped) > _DECRYPT_CACHE_SIZE:
            self._unwrapped.popitem(last=False)


LISTENER_PURPOSE = "listener-recently-played"
OWNER_PURPOSE = "owner-playlists"


def listener_context(account_id: str) -> dict[str, str]:
    return {"listener": account_id, "purpose": LISTENER_PURPOSE}


def owner_context(owner_id: str) -> dict[str, str]:
    return {"owner": owner_id, "purpose": OWNER_PURPOSE}
