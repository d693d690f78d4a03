"""`/postmortem search …` and its paging buttons, answered ephemerally to whoever asked.

The query is parsed before the ack, so a bad filter is the ack's answer; the search itself
runs after it. A page's button ("More results", "Previous results") answers through its
response_url, replacing the page it sits under, so one answer is kept however far one pages.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.ids import Search
from bot.search.query import parse_search, read_page_value
from bot.search.service import search_page
from bot.ui.search import SearchMessage, results_message, usage_message
from handlers.context import CommandHandler, CommandRequest, team_id_of


def register(app: AsyncApp) -> None:
    app.action(Search.MORE)(turn_page)
    app.action(Search.PREVIOUS)(turn_page)


async def search(request: CommandRequest) -> None:
    query = parse_search(request.args)
    if not query.typed_words:
        usage = usage_message()
        await request.ack(response_type="ephemeral", text=usage.text, blocks=_blocks(usage))
        return
    await request.ack()
    page = await search_page(
        sessions=request.sessions, team_id=request.team_id, query=query, offset=0
    )
    answer = results_message(page)
    await request.respond(
        text=answer.text, blocks=_blocks(answer), response_type="ephemeral", replace_original=False
    )


async def turn_page(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    await ack()
    query, offset = read_page_value(action.get("value"))
    page = await search_page(
        sessions=context["sessions"], team_id=team_id_of(body), query=query, offset=offset
    )
    answer = results_message(page)
    await respond(
        text=answer.text, blocks=_blocks(answer), response_type="ephemeral", replace_original=True
    )


def _blocks(message: SearchMessage) -> list[dict[str, Any]]:
    return [block.to_dict() for block in message.blocks]


ROUTES: dict[str, CommandHandler] = {"search": search}
