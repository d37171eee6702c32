"""What a person gets back from okrbot: one Answer type, which the handlers turn into the one Slack call it needs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    """One answer to a person: a message only they see, a modal, field errors, or a rewrite of okrbot's message.

    Exactly one of the shapes is set; build answers with the class methods. How each reaches Slack depends on
    what the person did (handlers/respond.py): a message answers a slash command ephemerally; a modal opens, or
    replaces the modal the person clicked in or submitted; errors stay on the submitted modal's fields.
    """

    text: str | None = None
    blocks: list[dict] | None = None
    view: dict | None = None
    errors: dict[str, str] | None = None
    # A message okrbot posted earlier (its channel and ts), rewritten with text and blocks.
    channel: str | None = None
    ts: str | None = None

    @classmethod
    def say(cls, text: str, blocks: list[dict] | None = None) -> Answer:
        """A message only the person sees: a sentence, with Block Kit when there is more to show."""
        return cls(text=text, blocks=blocks)

    @classmethod
    def show(cls, view: dict) -> Answer:
        """A modal."""
        return cls(view=view)

    @classmethod
    def field_errors(cls, errors: dict[str, str]) -> Answer:
        """Errors on the submitted modal's inputs, by block_id; the modal stays open."""
        return cls(errors=errors)

    @classmethod
    def rewrite(cls, channel: str, ts: str, text: str, blocks: list[dict]) -> Answer:
        """Replace a message okrbot posted earlier."""
        return cls(text=text, blocks=blocks, channel=channel, ts=ts)

    @property
    def is_rewrite(self) -> bool:
        """Whether this answer replaces one of okrbot's messages."""
        return self.channel is not None and self.ts is not None
