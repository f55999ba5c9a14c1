"""Envelope encryption of Spotify tokens against moto's KMS: contexts, tampering, data-key caching."""

from __future__ import annotations

import base64
import json
from collections import Counter

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from moto import mock_aws

from soundlink.tokens import cipher as token_cipher
from soundlink.tokens.cipher import (
    KMS_CONTEXT,
    LISTENER_PURPOSE,
    OWNER_PURPOSE,
    TokenCipher,
    TokenDecryptionError,
    kms_context,
    listener_context,
    owner_context,
)

CONTEXT = listener_context("account-1")


class CountingKms:
    """The boto3 KMS client, counting the calls that cost money and latency."""

    def __init__(self, client):
        self._client = client
        self.calls: Counter[str] = Counter()
        self.kwargs: list[tuple[str, dict]] = []

    def _counted(self, name):
        method = getattr(self._client, name)

        def call(**kwargs):
            self.calls[name] += 1
            self.kwargs.append((name, kwargs))
            return method(**kwargs)

        return call

    def __getattr__(self, name):
        if name in ("generate_data_key", "decrypt", "encrypt"):
            return self._counted(name)
        return getattr(self._client, name)


class Clock:
    def __init__(self, now: float = 1_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def kms_client():
    """moto's KMS, started once for the module: starting moto costs far more than the tests
    (and mutation runs time tests by their calls alone, so a per-test start made every
    surviving mutant look like a timeout under load)."""
    with mock_aws():
        yield boto3.client("kms", region_name="us-east-1")


@pytest.fixture
def kms(kms_client):
    """A key of its own for each test, and a fresh count of the calls made with it."""
    key_arn = kms_client.create_key(Description="soundlink tokens")["KeyMetadata"]["Arn"]
    return CountingKms(kms_client), key_arn


def parts(blob: str) -> list[str]:
    return blob.split(".")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def flip_last_byte(part: str) -> str:
    raw = bytearray(unb64(part))
    raw[-1] ^= 0x01
    return b64(bytes(raw))


# ---------------------------------------------------------------- round trip


@pytest.mark.parametrize(
    "plaintext", [b"", b"x", b'{"access_token":"a","refresh_token":"r"}', bytes(range(256)) * 4096]
)
def test_round_trip(kms, plaintext):
    client, key = kms
    cipher = TokenCipher(client, key)
    blob = cipher.encrypt(plaintext, CONTEXT)
    assert cipher.decrypt(blob, CONTEXT) == plaintext
    assert TokenCipher(client, key).decrypt(blob, CONTEXT) == plaintext  # another container


def test_json_round_trip_and_the_blob_reveals_nothing(kms):
    client, key = kms
    cipher = TokenCipher(client, key)
    tokens = {"access_token": "BQD-secret-access", "refresh_token": "AQA-secret-refresh", "scope": "x"}
    blob = cipher.encrypt_json(tokens, owner_context("owner-7"))
    assert cipher.decrypt_json(blob, owner_context("owner-7")) == tokens
    version, _, nonce, _ = parts(blob)
    assert version == "v2"  # since issue 13: the purpose is in the KMS context
    assert len(unb64(nonce)) == 12
    assert "secret" not in blob and "owner-7" not in blob
    assert all(ch.isalnum() or ch in "-_." for ch in blob)


def test_the_context_order_does_not_matter(kms):
    client, key = kms
    cipher = TokenCipher(client, key)
    blob = cipher.encrypt(b"t", {"listener": "a", "purpose": "p"})
    assert cipher.decrypt(blob, {"purpose": "p", "listener": "a"}) == b"t"


def test_two_ciphertexts_of_the_same_plaintext_differ(kms):
    client, key = kms
    cipher = TokenCipher(client, key)
    first, second = cipher.encrypt(b"same", CONTEXT), cipher.encrypt(b"same", CONTEXT)
    assert first != second
    assert parts(first)[1] == parts(second)[1]  # same data key...
    assert parts(first)[2] != parts(second)[2]  # ... a fresh random nonce
    assert parts(first)[3] != parts(second)[3]
    nonces = {parts(cipher.encrypt(b"same", CONTEXT))[2] for _ in range(200)}
    assert len(nonces) == 200


# ------------------------------------------------------------- other context


@pytest.mark.parametrize(
    "other",
    [
        listener_context("account-2"),
        {**CONTEXT, "purpose": "owner-playlists"},
        owner_context("account-1"),
        {**CONTEXT, "extra": "x"},
        {"listener": "account-1"},
        {"listener": "ACCOUNT-1", "purpose": CONTEXT["purpose"]},
        {"listener": "account-1 ", "purpose": CONTEXT["purpose"]},
    ],
    ids=["other-listener", "other-purpose", "owner-context", "extra-key", "missing-key", "case", "trailing-space"],
)
def test_another_context_does_not_decrypt(kms, other):
    client, key = kms
    cipher = TokenCipher(client, key)
    blob = cipher.encrypt(b"tokens", CONTEXT)
    with pytest.raises(TokenDecryptionError):
        cipher.decrypt(blob, other)
    with pytest.raises(TokenDecryptionError):
        TokenCipher(client, key).decrypt(blob, other)


@pytest.mark.parametrize("context", [{}, None])
def test_an_empty_context_is_refused(kms, context):
    client, key = kms
    cipher = TokenCipher(client, key)
    with pytest.raises(ValueError, match="encryption context"):
        cipher.encrypt(b"tokens", context)
    blob = cipher.encrypt(b"tokens", CONTEXT)
    with pytest.raises(ValueError, match="encryption context"):
        cipher.decrypt(blob, context)
    assert client.calls["generate_data_key"] == 1  # the refused encryption asked KMS for nothing


def test_a_cipher_without_a_key_id_is_refused(kms):
    client, _ = kms
    with pytest.raises(ValueError, match="TOKEN_KEY_ARN"):
        TokenCipher(client, "")


# ------------------------------------------------------------------ tampering


def _tampered(blob: str) -> dict[str, str]:
    version, wrapped, nonce, sealed = parts(blob)
    return {
        "ciphertext-bit": ".".join((version, wrapped, nonce, flip_last_byte(sealed))),
        "ciphertext-first-bit": ".".join(
            (version, wrapped, nonce, b64(bytes([unb64(sealed)[0] ^ 0x80]) + unb64(sealed)[1:]))
        ),
        "ciphertext-truncated": ".".join((version, wrapped, nonce, b64(unb64(sealed)[:-1]))),
        "ciphertext-shorter-than-tag": ".".join((version, wrapped, nonce, b64(unb64(sealed)[:15]))),
        "ciphertext-empty": ".".join((version, wrapped, nonce, "")),
        "ciphertext-extended": ".".join((version, wrapped, nonce, b64(unb64(sealed) + b"\x00"))),
        "nonce-bit": ".".join((version, wrapped, flip_last_byte(nonce), sealed)),
        "nonce-empty": ".".join((version, wrapped, "", sealed)),
        "nonce-short": ".".join((version, wrapped, b64(unb64(nonce)[:7]), sealed)),
        "nonce-long": ".".join((version, wrapped, b64(unb64(nonce) + b"\x00"), sealed)),
        "nonce-swapped": ".".join((version, wrapped, sealed, nonce)),
        "version-v3": ".".join(("v3", wrapped, nonce, sealed)),
        "version-upper": ".".join(("V2", wrapped, nonce, sealed)),
        "version-empty": ".".join(("", wrapped, nonce, sealed)),
        "data-key-bit": ".".join((version, flip_last_byte(wrapped), nonce, sealed)),
        "data-key-truncated": ".".join((version, b64(unb64(wrapped)[:40]), nonce, sealed)),
        "data-key-empty": ".".join((version, "", nonce, sealed)),
        "three-parts": ".".join((version, wrapped, nonce)),
        "five-parts": ".".join((version, wrapped, nonce, sealed, sealed)),
        "truncated-blob": blob[: len(blob) // 2],
        "empty": "",
        "dots": "....",
        "v1-only": "v1...",
        "bad-padding": ".".join((version, wrapped, nonce, sealed + "A")),
        "non-ascii": ".".join((version, wrapped, nonce, sealed + "é")),
        "whitespace": " " + blob,
    }


TAMPERINGS = list(_tampered("v1.AAAA.AAAA.AAAA"))


@pytest.mark.parametrize("how", TAMPERINGS)
def test_tampered_or_malformed_blobs_raise_token_decryption_error(kms, how):
    client, key = kms
    blob = TokenCipher(client, key).encrypt(b"tokens", CONTEXT)
    tampered = _tampered(blob)[how]
    assert tampered != blob
    for cipher in (TokenCipher(client, key), TokenCipher(client, key)):
        cipher.decrypt(blob, CONTEXT)  # warm: the genuine data key is remembered
        with pytest.raises(TokenDecryptionError):
            cipher.decrypt(tampered, CONTEXT)
    with pytest.raises(TokenDecryptionError):
        TokenCipher(client, key).decrypt(tampered, CONTEXT)  # cold: nothing remembered


def test_an_oversized_data_key_raises_token_decryption_error(kms):
    # BUG: only KMS's InvalidCiphertextException becomes TokenDecryptionError; a
    # data-key part longer than KMS accepts (6,144 bytes) comes back as another
    # ClientError (ValidationException in AWS, AccessDeniedException in moto).
    client, key = kms
    version, _, nonce, sealed = parts(TokenCipher(client, key).encrypt(b"tokens", CONTEXT))
    blob = ".".join((version, b64(b"\x01" * 7_000), nonce, sealed))
    with pytest.raises(TokenDecryptionError):
        TokenCipher(client, key).decrypt(blob, CONTEXT)


class RefusingKms:
    """A KMS that answers every Decrypt with `code`, counting the calls (no moto: moto refuses
    any blob over 4 KB with AccessDenied, where KMS takes up to 6,144 bytes)."""

    def __init__(self, code: str):
        self.code = code
        self.decrypts = 0

    def decrypt(self, **_kwargs):
        self.decrypts += 1
        raise ClientError({"Error": {"Code": self.code, "Message": "refused"}}, "Decrypt")


@pytest.mark.parametrize(("size", "asked"), [(1, 1), (6_144, 1), (6_145, 0), (70_000, 0)])
def test_a_data_key_part_kms_would_refuse_is_not_sent(size, asked):
    kms = RefusingKms("InvalidCiphertextException")
    blob = ".".join(("v2", b64(b"\x01" * size), b64(b"\x00" * 12), b64(b"\x00" * 32)))
    with pytest.raises(TokenDecryptionError, match="data key"):
        TokenCipher(kms, "key").decrypt(blob, CONTEXT)
    assert kms.decrypts == asked  # up to KMS's limit, KMS decides; beyond it, nothing is sent


@pytest.mark.parametrize("code", ["ThrottlingException", "KMSInternalException", "DisabledException"])
def test_kms_being_unavailable_is_not_a_bad_token(code):
    """A throttled or failing KMS raises its own error (the poll is retried), never
    TokenDecryptionError (which would tell the listener to reconnect)."""
    kms = RefusingKms(code)
    blob = ".".join(("v2", b64(b"\x01" * 200), b64(b"\x00" * 12), b64(b"\x00" * 32)))
    with pytest.raises(ClientError) as raised:
        TokenCipher(kms, "key").decrypt(blob, CONTEXT)
    assert raised.value.response["Error"]["Code"] == code


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("three-parts", "not a Soundlink token ciphertext"),
        ("version-v3", "not a Soundlink token ciphertext"),
        ("five-parts", "not a Soundlink token ciphertext"),
        ("data-key-bit", "the data key of these tokens is not valid"),
        ("data-key-empty", "the data key of these tokens is not valid"),
        ("ciphertext-bit", "the tokens do not decrypt with this context"),
        ("nonce-short", "the tokens do not decrypt with this context"),
    ],
)
def test_the_error_says_which_part_is_wrong(kms, how, says):
    """What an operator reads in the log of a failed poll: a malformed blob, a data key that is
    not ours, or tokens that do not open under this context."""
    client, key = kms
    tampered = _tampered(TokenCipher(client, key).encrypt(b"tokens", CONTEXT))[how]
    with pytest.raises(TokenDecryptionError) as raised:
        TokenCipher(client, key).decrypt(tampered, CONTEXT)
    assert str(raised.value) == says


def test_a_v2_blob_read_without_a_purpose_asks_kms_nothing(kms):
    client, key = kms
    blob = TokenCipher(client, key).encrypt(b"tokens", CONTEXT)
    client.calls.clear()
    with pytest.raises(TokenDecryptionError) as raised:
        TokenCipher(client, key).decrypt(blob, {"listener": "account-1"})
    assert str(raised.value) == "the tokens do not decrypt with this context"
    assert client.calls["decrypt"] == 0


def test_a_ciphertext_moved_onto_another_blob_does_not_decrypt(kms):
    client, key = kms
    cipher = TokenCipher(client, key)
    alice = parts(cipher.encrypt(b"alice-tokens", listener_context("alice")))
    bob = parts(cipher.encrypt(b"bob-tokens", listener_context("bob")))
    spliced = ".".join((bob[0], bob[1], bob[2], alice[3]))
    with pytest.raises(TokenDecryptionError):
        cipher.decrypt(spliced, listener_context("bob"))
    with pytest.raises(TokenDecryptionError):
        cipher.decrypt(spliced, listener_context("alice"))


# -------------------------------------------------------------- KMS caching


def test_a_thousand_tokens_in_one_container_cost_one_generate_data_key_and_no_decrypt(kms):
    client, key = kms
    cipher = TokenCipher(client, key, clock=Clock())
    for n in range(1_000):
        context = listener_context(f"account-{n}")
        blob = cipher.encrypt(f"tokens-{n}".encode(), context)
        assert cipher.decrypt(blob, context) == f"tokens-{n}".encode()
    assert client.calls == Counter({"generate_data_key": 1})
    _, kwargs = client.kwargs[0]
    assert kwargs == {"KeyId": key, "KeySpec": "AES_256", "EncryptionContext": kms_context(LISTENER_PURPOSE)}


def test_a_cold_container_decrypts_many_tokens_with_one_decrypt(kms):
    client, key = kms
    sealer = TokenCipher(client, key, clock=Clock())
    blobs = [sealer.encrypt(f"t{n}".encode(), CONTEXT) for n in range(100)]
    client.calls.clear()
    client.kwargs.clear()

    reader = TokenCipher(client, key, clock=Clock())
    assert [reader.decrypt(blob, CONTEXT) for blob in blobs] == [f"t{n}".encode() for n in range(100)]
    assert client.calls == Counter({"decrypt": 1})
    _, kwargs = client.kwargs[0]
    assert kwargs["EncryptionContext"] == kms_context(LISTENER_PURPOSE) and kwargs["KeyId"] == key


def test_a_cold_container_pays_one_decrypt_per_data_key(kms):
    client, key = kms
    blobs = [TokenCipher(client, key).encrypt(b"t", CONTEXT) for _ in range(3)]  # three containers, three keys
    client.calls.clear()
    reader = TokenCipher(client, key)
    for _ in range(5):
        for blob in blobs:
            reader.decrypt(blob, CONTEXT)
    assert client.calls == Counter({"decrypt": 3})


def test_a_tampered_blob_does_not_poison_the_remembered_key(kms):
    client, key = kms
    cipher = TokenCipher(client, key)
    blob = cipher.encrypt(b"t", CONTEXT)
    with pytest.raises(TokenDecryptionError):
        cipher.decrypt(_tampered(blob)["data-key-bit"], CONTEXT)
    assert cipher.decrypt(blob, CONTEXT) == b"t"


@pytest.mark.parametrize(("elapsed", "new_key"), [(0.0, False), (299.0, False), (299.999, False), (300.0, True)])
def test_a_data_key_is_renewed_after_data_key_seconds(kms, elapsed, new_key):
    client, key = kms
    clock = Clock(1_000.0)
    cipher = TokenCipher(client, key, data_key_seconds=300.0, clock=clock)
    first = cipher.encrypt(b"t", CONTEXT)
    clock.now += elapsed
    second = cipher.encrypt(b"t", CONTEXT)
    assert (parts(first)[1] != parts(second)[1]) is new_key
    assert client.calls["generate_data_key"] == (2 if new_key else 1)
    assert cipher.decrypt(second, CONTEXT) == b"t"


def test_after_unwrapped_key_seconds_old_tokens_cost_one_decrypt_again(kms):
    client, key = kms
    clock = Clock(1_000.0)
    cipher = TokenCipher(client, key, data_key_seconds=300.0, unwrapped_key_seconds=600.0, clock=clock)
    old = [cipher.encrypt(f"{n}".encode(), CONTEXT) for n in range(5)]
    clock.now += 599.999  # past the data key's encryption life, still within its unwrapped life
    [cipher.decrypt(blob, CONTEXT) for blob in old]
    assert client.calls["decrypt"] == 0
    clock.now += 0.001
    assert [cipher.decrypt(blob, CONTEXT) for blob in old] == [f"{n}".encode() for n in range(5)]
    assert client.calls["decrypt"] == 1


@pytest.mark.parametrize(("encryptions", "keys"), [(2, 1), (3, 1), (4, 2), (6, 2), (7, 3)])
def test_a_data_key_is_renewed_after_data_key_max_uses(kms, encryptions, keys):
    client, key = kms
    cipher = TokenCipher(client, key, data_key_max_uses=3, clock=Clock())
    blobs = [cipher.encrypt(b"t", CONTEXT) for _ in range(encryptions)]
    wrapped = [parts(blob)[1] for blob in blobs]
    assert len(set(wrapped)) == keys
    assert client.calls["generate_data_key"] == keys
    # Uses 1..3 share a key; the 4th encryption (the count exactly at the limit) gets a new one.
    assert wrapped[: min(3, encryptions)] == [wrapped[0]] * min(3, encryptions)
    if encryptions >= 4:
        assert wrapped[3] != wrapped[2]
    # Tokens sealed under a retired key still decrypt without asking KMS.
    assert all(cipher.decrypt(blob, CONTEXT) == b"t" for blob in blobs)
    assert client.calls["decrypt"] == 0


def test_unwrapped_data_keys_outlive_the_poll_interval():
    # A listener is polled every 5 to 25 minutes: its data key must outlive that many times over.
    assert token_cipher.UNWRAPPED_KEY_SECONDS >= 6 * 3600
    assert token_cipher._DECRYPT_CACHE_SIZE >= 4096


def test_the_decrypt_cache_keeps_the_most_recent_data_keys(kms, monkeypatch):
    monkeypatch.setattr(token_cipher, "_DECRYPT_CACHE_SIZE", 64)
    client, key = kms
    blobs = [TokenCipher(client, key).encrypt(b"t", CONTEXT) for _ in range(65)]
    reader = TokenCipher(client, key)
    for blob in blobs:
        reader.decrypt(blob, CONTEXT)
    assert client.calls["decrypt"] == 65
    reader.decrypt(blobs[-1], CONTEXT)  # still remembered
    reader.decrypt(blobs[1], CONTEXT)  # the oldest of the 64 kept: the cache holds exactly its size
    assert client.calls["decrypt"] == 65
    reader.decrypt(blobs[0], CONTEXT)  # evicted by the 65th
    assert client.calls["decrypt"] == 66


# ------------------------------------------------- purposes in the KMS context (issue 13)


def test_listener_and_owner_tokens_never_share_a_data_key(kms):
    client, key = kms
    cipher = TokenCipher(client, key, clock=Clock())
    listener = cipher.encrypt(b"l", listener_context("a"))
    owner = cipher.encrypt(b"o", owner_context("o"))
    assert parts(listener)[1] != parts(owner)[1]
    contexts = [kwargs["EncryptionContext"] for _, kwargs in client.kwargs]
    assert contexts == [kms_context(LISTENER_PURPOSE), kms_context(OWNER_PURPOSE)]
    assert all(context["purpose"] in (LISTENER_PURPOSE, OWNER_PURPOSE) for context in contexts)


def test_tokens_sealed_before_purposes_still_decrypt(kms):
    """v1 blobs (data key under the context without a purpose) stay readable: nothing stored is lost."""
    client, key = kms
    answer = client.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext=KMS_CONTEXT)
    nonce = b"\x00" * 12
    aad = json.dumps(dict(CONTEXT), sort_keys=True, separators=(",", ":")).encode()
    sealed = AESGCM(answer["Plaintext"]).encrypt(nonce, b"old tokens", aad)
    legacy = ".".join(("v1", *(b64(part) for part in (answer["CiphertextBlob"], nonce, sealed))))
    assert TokenCipher(client, key).decrypt(legacy, CONTEXT) == b"old tokens"


def test_a_context_without_a_purpose_seals_nothing(kms):
    client, key = kms
    with pytest.raises(ValueError, match="purpose"):
        TokenCipher(client, key).encrypt(b"x", {"listener": "a"})


@pytest.mark.parametrize(
    ("make_context", "subject", "aad", "purpose"),
    [
        (
            listener_context,
            "account-1",
            b'{"listener":"account-1","purpose":"listener-recently-played"}',
            LISTENER_PURPOSE,
        ),
        (owner_context, "owner-7", b'{"owner":"owner-7","purpose":"owner-playlists"}', OWNER_PURPOSE),
    ],
    ids=["listener", "owner"],
)
def test_stored_v2_tokens_keep_decrypting(kms, make_context, subject, aad, purpose):
    """The stored form, built by hand: the data key under KMS's context with the purpose, the
    tokens sealed with the context as compact, sorted JSON. Renaming a context's key (or
    writing the JSON another way) would lock every listener and owner out of stored tokens."""
    client, key = kms
    kms_context_then = {"application": "soundlink", "use": "spotify-tokens", "purpose": purpose}
    answer = client.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext=kms_context_then)
    nonce = b"\x07" * 12
    sealed = AESGCM(answer["Plaintext"]).encrypt(nonce, b"stored tokens", aad)
    stored = ".".join(("v2", *(b64(part) for part in (answer["CiphertextBlob"], nonce, sealed))))
    assert TokenCipher(client, key).decrypt(stored, make_context(subject)) == b"stored tokens"


def test_json_tokens_are_sealed_compact(kms):
    """Every stored byte is ciphertext in a DynamoDB item: the JSON inside carries no spaces."""
    client, key = kms
    cipher = TokenCipher(client, key)
    blob = cipher.encrypt_json({"access_token": "a", "scope": ["x", "y"]}, CONTEXT)
    assert cipher.decrypt(blob, CONTEXT) == b'{"access_token":"a","scope":["x","y"]}'
