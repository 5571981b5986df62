# modem: the AT engine, the modem driver and its URC handlers, model profiles, the recovery ladder.
