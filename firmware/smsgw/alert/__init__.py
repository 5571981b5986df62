# smsgw.alert: the standalone alert unit (input rules with escalation, TOTP SMS commands,
# heartbeat, carrier limits). Optional: the core never imports it; app.py calls start(ctx).
