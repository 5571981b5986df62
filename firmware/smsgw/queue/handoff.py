# Event hand-off intents: the events of state changes (sms:sent/delivered/failed/received) are
# emitted synchronously after the change is in flash, and a handler that keeps them (the webhook
# journal) queues them durably before emit() returns. A power cut between the state change and
# that queueing would lose the event, so an intent line goes to `path` before the change and the
# file is removed once the handlers have the event. Lines left behind by a power cut (`left`,
# read at boot) are replayed by Outbox.replay / Inbox.replay: an event may repeat, never vanish.
#   o <key> <r> <state before>   an outbox journal record about to change recipient r
#   i <seq>                      the inbox about to store message <seq>
import os

from smsgw.queue.store import append


class Handoff:
    def __init__(self, path):
        self.path = path
        self.open = 0  # intents begun and not done
        self.left = self._read()  # [fields, ...] of intents a power cut left, until replayed()

    def _read(self):
        try:
            with open(self.path) as f:
                lines = f.read().split("\n")
        except OSError:
            return []
        lines.pop()  # "" after the last "\n", or a torn tail
        return [ln.split(" ") for ln in lines if ln]

    def begin(self, line):
        """Before a state change whose event is about to be emitted."""
        append(self.path, line + "\n")
        self.open += 1

    def done(self):
        """The event is emitted: drop the file once no intent is open or waiting for replay."""
        self.open = max(0, self.open - 1)
        if not self.open and not self.left:
            try:
                os.remove(self.path)
            except OSError:
                pass

    def replayed(self):
        """The intents in `left` are handled (at boot, once the event handlers subscribed)."""
        self.left = []
        self.open += 1
        self.done()
