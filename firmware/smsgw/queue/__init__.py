# queue: durable message state in flash: the store, the outbox (sending) and the inbox (receiving).
