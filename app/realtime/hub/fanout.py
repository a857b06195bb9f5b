"""The local fan-out, written once for every backend: this process's subscriptions per channel.

A backend hands each message that reaches this process to `Fanout.deliver`; every subscription
on the channel gets it at once, and none is awaited (a full queue becomes RESYNC instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from app.realtime.hub.base import Subscription


@dataclass
class Listeners:
    """One channel's subscriptions in this process; a backend may keep more per channel."""

    subscribers: set[Subscription] = field(default_factory=set)


L = TypeVar("L", bound=Listeners)


class Fanout(Generic[L]):
    def __init__(
        self, listeners: Callable[[], L], emptied: Callable[[str], None] = lambda channel: None
    ) -> None:
        self.channels: dict[str, L] = {}
        self._listeners = listeners  # makes a channel's state when its first subscriber comes
        self._emptied = emptied  # called when a channel's last subscriber here has left

    @contextmanager
    def join(self, channel: str) -> Iterator[tuple[Subscription, L]]:
        """A new subscription on `channel`, with the channel's state, until the block ends."""
        subscription = Subscription()
        state = self.channels.setdefault(channel, self._listeners())
        state.subscribers.add(subscription)
        try:
            yield subscription, state
        finally:
            state.subscribers.discard(subscription)
            if not state.subscribers and self.channels.get(channel) is state:
                del self.channels[channel]
                self._emptied(channel)

    def deliver(self, channel: str, message: str) -> None:
        state = self.channels.get(channel)
        for subscription in tuple(state.subscribers if state else ()):
            subscription.offer(message)  # never blocks; a full queue → RESYNC

    def count(self, channel: str) -> int:
        state = self.channels.get(channel)
        return len(state.subscribers) if state else 0
