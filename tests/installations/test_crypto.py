"""Tokens at rest: Fernet with a key ring (TOKEN_ENCRYPTION_KEY)."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.installations.crypto import TokenCipher, TokenDecryptError, generate_key

TOKEN = "xoxb-1234-5678-secretsecret"


def test_a_token_comes_back_and_its_ciphertext_does_not_contain_it() -> None:
    cipher = TokenCipher([generate_key()])
    stored = cipher.encrypt(TOKEN)
    assert TOKEN not in stored
    assert "secretsecret" not in stored
    assert cipher.decrypt(stored) == TOKEN


def test_the_same_token_encrypts_differently_each_time() -> None:
    cipher = TokenCipher([generate_key()])
    assert cipher.encrypt(TOKEN) != cipher.encrypt(TOKEN)


def test_a_token_written_with_the_old_key_is_read_with_the_new_ring() -> None:
    old, new = generate_key(), generate_key()
    stored = TokenCipher([old]).encrypt(TOKEN)
    ring = TokenCipher([new, old])
    assert ring.decrypt(stored) == TOKEN
    # The ring writes with its first key: the old key alone cannot read what it writes now.
    with pytest.raises(TokenDecryptError):
        TokenCipher([old]).decrypt(ring.encrypt(TOKEN))
    assert TokenCipher([new]).decrypt(ring.rotate(stored)) == TOKEN


def test_a_token_whose_key_was_dropped_is_refused_without_quoting_it() -> None:
    stored = TokenCipher([generate_key()]).encrypt(TOKEN)
    with pytest.raises(TokenDecryptError) as raised:
        TokenCipher([generate_key()]).decrypt(stored)
    assert "TOKEN_ENCRYPTION_KEY" in raised.value.message
    assert stored not in raised.value.message


@pytest.mark.parametrize("bad", ["not-a-key", "", "é" * 44, generate_key()[:-4]])
def test_a_bad_key_is_a_config_error_naming_the_variable_not_the_key(bad: str) -> None:
    keys = [generate_key(), bad] if bad else []
    with pytest.raises(ConfigError) as raised:
        TokenCipher(keys)
    assert "TOKEN_ENCRYPTION_KEY" in raised.value.message
    if bad:
        assert "key 2" in raised.value.message
        assert bad not in raised.value.message


def test_generate_key_makes_distinct_usable_keys() -> None:
    first, second = generate_key(), generate_key()
    assert first != second
    assert len(first) == 44
    assert TokenCipher([first]).decrypt(TokenCipher([first]).encrypt("x")) == "x"
