"""
Encryption of OAuth tokens at rest.

The key is derived from Django's ``SECRET_KEY`` with HKDF, so no extra secret has to be configured. Values written
with a key from ``SECRET_KEY_FALLBACKS`` stay readable after the secret is rotated (MultiFernet tries every key).
"""
import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_HKDF_INFO = b"pretix_hubspot oauth token encryption v1"


def _derive_key(secret: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(raw)


@lru_cache(maxsize=4)
def _fernet(secret: str, fallbacks: tuple) -> MultiFernet:
    return MultiFernet([Fernet(_derive_key(s)) for s in (secret, *fallbacks)])


def _current() -> MultiFernet:
    return _fernet(settings.SECRET_KEY, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ()) or ()))


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _current().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    """Returns the plain text, or an empty string when the value cannot be decrypted (e.g. the secret changed)."""
    if not value:
        return ""
    try:
        return _current().decrypt(value.encode()).decode()
    except InvalidToken:
        return ""
