"""Tokens encrypted at rest: Fernet with a key ring (TOKEN_ENCRYPTION_KEY, comma-separated).

The first key encrypts; any key of the ring decrypts, so an operator rotates by putting a new key
first and keeping the old one until every stored token was written again. Neither a key nor a
token ever appears in an error message.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.errors import ConfigError

KEY_VARIABLE = "TOKEN_ENCRYPTION_KEY"


class TokenDecryptError(ConfigError):
    """Raised when a stored token was encrypted with a key that is no longer in the ring."""


def generate_key() -> str:
    """A new Fernet key (url-safe base64 of 32 random bytes), for `hindsight keygen`."""
    return Fernet.generate_key().decode("ascii")


class TokenCipher:
    """Encrypts with the first key of the ring and decrypts with any of them."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ConfigError(
                f"{KEY_VARIABLE} is required to keep tokens of many workspaces; "
                "`hindsight keygen` prints a new key"
            )
        self._fernet = MultiFernet([_fernet(key, position) for position, key in enumerate(keys)])

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, text: str) -> str:
        try:
            return self._fernet.decrypt(text.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError) as error:
            raise TokenDecryptError(
                f"a stored token cannot be decrypted with any key of {KEY_VARIABLE}; "
                "was the key it was written with removed from the list?"
            ) from error

    def encrypt_optional(self, text: str | None) -> str | None:
        return None if text is None else self.encrypt(text)

    def decrypt_optional(self, text: str | None) -> str | None:
        return None if text is None else self.decrypt(text)

    def rotate(self, text: str) -> str:
        """The same token, encrypted again with the first key."""
        try:
            return self._fernet.rotate(text.encode("ascii")).decode("ascii")
        except InvalidToken as error:
            raise TokenDecryptError(
                f"a stored token cannot be decrypted with any key of {KEY_VARIABLE}"
            ) from error


def _fernet(key: str, position: int) -> Fernet:
    try:
        return Fernet(key.strip().encode("ascii"))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        # The key itself is never quoted: it is a secret even when malformed.
        raise ConfigError(
            f"{KEY_VARIABLE}: key {position + 1} is not a Fernet key (32 url-safe base64-encoded "
            "bytes); `hindsight keygen` prints a new one"
        ) from None
