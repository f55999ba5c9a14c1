"""moto's SQS, made to keep up with thousands of queued messages (the moto server only).

moto 5 answers every `ReceiveMessage` with work that grows with the queue, not
the batch: for each message it hands out, it checks the retention period by
computing *every* queue attribute, three of which count the queue's messages
one by one, each message asking the clock twice. With 5,000 messages queued one
`ReceiveMessage` of 10 took 3-4 s (measured, in process, on this machine); the
local click consumer then drained 1-2 clicks a second and the moto server's
requests timed out. `install()` replaces those parts with the same rules
computed once per call:

- the retention check reads the queue's `MessageRetentionPeriod` alone;
- a deleted message is found in one pass over the queue, not two, and under the
  lock moto's sends take: moto rebuilt the queue's list without it, so a message
  sent during a delete could vanish (33 of 10,000 clicks in the first load run
  with the queue consumed while the clicks arrived);
- the visible, in-flight and delayed messages are filtered against one reading
  of the clock (moto's own comparisons: visible when now > `visible_at`,
  delayed while now < `delayed_until`).

What SQS answers is unchanged (tests/integration/test_queues.py and the
ground-truth run use it as before); only its cost no longer grows with every
message.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    from moto.core.utils import unix_time, unix_time_millis
    from moto.sqs.exceptions import ReceiptHandleIsInvalid
    from moto.sqs.models import Queue, SQSBackend

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        queue = self.get_queue(queue_name)
        retain_until = int(queue.message_retention_period) + message.sent_timestamp / 1000
        return retain_until > unix_time()

    def messages(self: Any) -> list[Any]:
        now = unix_time_millis()
        return [message for message in self._messages if now > message.visible_at and now >= message.delayed_until]

    def not_visible(self: Any) -> int:
        now = unix_time_millis()
        return sum(1 for message in self._messages if not now > message.visible_at)

    def delayed(self: Any) -> int:
        now = unix_time_millis()
        return sum(1 for message in self._messages if now < message.delayed_until)

    def delete_message(self: Any, receipt_handle: str) -> None:
        if receipt_handle in self.deleted_messages:
            return  # already deleted: SQS accepts it again
        with self._messages_lock:  # add_message appends under it
            kept, found = [], False
            for message in self._messages:
                # Message.had_receipt_handle, without building a list per message
                if message.receipt_handle == receipt_handle or receipt_handle in message._old_receipt_handles:
                    found = True
                    self.pending_messages.discard(message)
                    self.deleted_messages.update(message.all_receipt_handles)
                else:
                    kept.append(message)
            if not found:
                raise ReceiptHandleIsInvalid()
            self._messages = kept

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period
    Queue.delete_message = delete_message
    Queue.messages = property(messages)
    Queue.approximate_number_of_messages_not_visible = property(not_visible)
    Queue.approximate_number_of_messages_delayed = property(delayed)
