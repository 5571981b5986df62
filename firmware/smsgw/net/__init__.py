# net: what talks to the network: the HTTP API and health, webhooks (HTTP client), MQTT.
