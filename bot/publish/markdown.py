"""Text made safe and readable in a Markdown document.

Two kinds of text arrive: Slack messages (mrkdwn: `<@U1>`, `<#C1|name>`, `<https://x|label>`,
`*bold*`, `~strike~`, and `&amp;` `&lt;` `&gt;` escapes) and plain text typed into the
retrospective's modals. Both are escaped only where they would break the document: a line that
would become a heading or a setext underline, a `<` that would open raw HTML, an `&` that would
read as an entity, `|` inside a table cell. Code (``` blocks and `spans`) is left as typed.
Nothing a person wrote turns live in a canvas: a `<` before `@`, `#` or `!` (a Slack mention)
and every `[` (a link, or a canvas mention `![](@U1)`) are escaped too; Slack's own mentions in
a message become names. All patterns are compiled once, here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

FENCE = re.compile(r"```(.*?)```", re.DOTALL)
CODE_SPAN = re.compile(r"(`[^`\n]+`)")
SLACK_TOKEN = re.compile(r"<([^<>\n]+)>|&(amp|lt|gt);")
BRACKET_OR_TOKEN = re.compile(r"<[^<>\n]+>|[\[\]]")
BOLD = re.compile(r"(?<![\w*\\])\*(?![\s*])([^*\n]+?)(?<![\s*\\])\*(?![\w*])")
STRIKE = re.compile(r"(?<![\w~\\])~(?![\s~])([^~\n]+?)(?<![\s~\\])~(?![\w~])")
HTML_START = re.compile(r"<(?=[A-Za-z/!?@#])")
ENTITY_START = re.compile(r"&(?=#?\w+;)")
BRACKET = re.compile(r"[\[\]]")
BLOCK_START = re.compile(
    r"^(\s{0,3})(#{1,6}(?=\s|$)|=+\s*$|-{2,}\s*$|(?:\*\s*){3,}$|(?:_\s*){3,}$)"
)
TIGHT_LINE = re.compile(r"\s*(?:[-*+•]|\d{1,9}[.)]|>)(?:\s|$)")
LINK_SCHEMES = ("http://", "https://", "mailto:")
SPECIAL_MENTIONS = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


# ---- plain text -------------------------------------------------------------------------------


def escape_inline(text: str) -> str:
    """Plain text that can't open HTML, a mention or a link, or read as an entity."""
    if "<" in text:
        text = HTML_START.sub(r"\\<", text)
    if "[" in text or "]" in text:
        text = BRACKET.sub(_backslashed, text)
    return ENTITY_START.sub(r"\\&", text) if "&" in text else text


def paragraphs(text: str) -> str:
    """Multi-line plain text: each line kept visible as its own paragraph (lines that read as a
    list or a quote stay together), none turning into a heading or a rule."""
    return _join([_escape_line_start(escape_inline(line)) for line in _lines(text)])


def one_line(text: str) -> str:
    """Plain text on one line (headings, list items): runs of whitespace become one space."""
    return escape_inline(" ".join(text.split()))


def cell(text: str | None) -> str:
    """A table cell: one line, pipes escaped; `—` when empty."""
    flat = one_line(text or "")
    return flat.replace("|", "\\|") if flat else "—"


def heading_text(text: str) -> str:
    """Text after `# `: one line, with a trailing `#` kept as text rather than a closing run."""
    flat = one_line(text)
    return flat[:-1] + "\\#" if flat.endswith("#") else flat


def list_item(marker: str, text: str) -> str:
    """`marker text`, continuation lines indented under the text (so they stay in the item)."""
    first, *rest = text.split("\n")
    indent = " " * (len(marker) + 1)
    return "\n".join([f"{marker} {first}", *(indent + line if line else "" for line in rest)])


# ---- Slack mrkdwn -----------------------------------------------------------------------------


def slack_to_markdown(text: str, names: Mapping[str, str]) -> str:
    """A Slack message as Markdown: mentions and channels by name, links as links, Slack's
    bold and strike in Markdown's syntax, code blocks fenced on their own lines, each line of
    prose its own paragraph (as Slack shows it)."""
    blocks: list[str] = []
    text = text.strip()
    for index, part in enumerate(FENCE.split(text) if "```" in text else [text]):
        if index % 2:  # inside ``` … ```
            code = "\n".join(line.rstrip() for line in _unescape(part).strip("\n").split("\n"))
            blocks.append(f"```\n{code}\n```")
        else:
            blocks += _prose(part, names)
    return _join(blocks)


def _prose(text: str, names: Mapping[str, str]) -> list[str]:
    pieces = []
    # The `in` checks skip patterns that cannot match: most messages have no markup at all.
    for index, part in enumerate(CODE_SPAN.split(text) if "`" in text else [text]):
        if index % 2:  # an inline `code` span
            pieces.append(_unescape(part))
            continue
        if "*" in part:
            part = BOLD.sub(r"**\1**", part)
        if "~" in part:
            part = STRIKE.sub(r"~~\1~~", part)
        if "[" in part or "]" in part:  # brackets typed in Slack; a link's label gets its own
            part = BRACKET_OR_TOKEN.sub(_bracket, part)
        if "<" in part or "&" in part:
            part = SLACK_TOKEN.sub(lambda m: _token(m, names), part)
        pieces.append(part)
    return [_escape_line_start(line) for line in _lines("".join(pieces))]


def _join(blocks: list[str]) -> str:
    """Blocks apart by a blank line, except list or quote lines that follow one another."""
    out: list[str] = []
    for block in blocks:
        if out:
            tight = TIGHT_LINE.match(out[-1]) and TIGHT_LINE.match(block)
            out.append("\n" if tight else "\n\n")
        out.append(block)
    return "".join(out)


def _token(match: re.Match[str], names: Mapping[str, str]) -> str:
    entity = match.group(2)
    if entity == "amp":
        after = match.string[match.end() :]
        return "\\&" if ENTITY_START.match("&" + after) else "&"
    if entity == "lt":
        after = match.string[match.end() : match.end() + 1]
        return "\\<" if after and (after.isalpha() or after in "/!?@#") else "<"
    if entity == "gt":
        return ">"
    body = match.group(1)
    target, _, label = body.partition("|")
    if target.startswith("@"):
        return "@" + escape_inline(names.get(target[1:]) or _unescape(label) or target[1:])
    if target.startswith("#"):
        return "#" + escape_inline(_unescape(label) or target[1:])
    if target.startswith("!"):
        return _special(target[1:], label)
    label = escape_inline(_unescape(label))
    if not target.startswith(LINK_SCHEMES):
        return label or escape_inline(_unescape(target))
    url = _unescape(target)
    destination = f"<{url}>" if any(c in url for c in " ()<>") else url
    if label and label != url:
        return f"[{label}]({destination})"
    return f"<{url}>"


def _backslashed(match: re.Match[str]) -> str:
    return "\\" + match.group()


def _bracket(match: re.Match[str]) -> str:
    """A bracket escaped; a Slack token (`<…>`) left whole for `_token`."""
    return match.group() if len(match.group()) > 1 else "\\" + match.group()


def _special(command: str, label: str) -> str:
    """`<!here>`, `<!subteam^S1|@oncall>`, `<!date^…|fallback>`: what Slack would show."""
    if label:
        return escape_inline(_unescape(label))
    name = command.partition("^")[0]
    if name in SPECIAL_MENTIONS:
        return SPECIAL_MENTIONS[name]
    return "@" + command.rpartition("^")[2] if name == "subteam" else "@" + name


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _escape_line_start(line: str) -> str:
    if line.lstrip()[:1] not in ("#", "=", "-", "*", "_"):
        return line
    return BLOCK_START.sub(r"\1\\\2", line, count=1)


def _lines(text: str) -> list[str]:
    """The non-blank lines, stripped (an indent would turn a line into code)."""
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
