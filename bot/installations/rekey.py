"""Every stored token encrypted again with the first key of TOKEN_ENCRYPTION_KEY (`hindsight
rekey`): after an operator puts a new key first, this lets the old one leave the list.

One transaction: a token no key of the ring can read stops it before anything is written.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.installations.crypto import TokenCipher
from bot.installations.store import ENCRYPTED_COLUMNS
from models.installation import SlackInstallation


async def reencrypt_tokens(sessions: async_sessionmaker[AsyncSession], cipher: TokenCipher) -> int:
    """How many tokens were written again (raises TokenDecryptError, changing nothing, when
    one cannot be read)."""
    columns = [getattr(SlackInstallation, name) for name in ENCRYPTED_COLUMNS]
    count = 0
    async with sessions.begin() as session:
        rows = (await session.execute(select(SlackInstallation.id, *columns))).all()
        for row_id, *tokens in rows:
            values = {
                name: cipher.rotate(token)
                for name, token in zip(ENCRYPTED_COLUMNS, tokens, strict=True)
                if token is not None
            }
            if values:
                await session.execute(
                    update(SlackInstallation).where(SlackInstallation.id == row_id).values(values)
                )
                count += len(values)
    return count
