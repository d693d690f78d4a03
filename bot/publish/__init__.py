"""Publishing: the postmortem document, its Markdown, export, and posting it to Slack."""
