# Home Assistant MQTT discovery for the bridge (mqtt.py): retained config messages that make one
# HA device with four sensors (signal, registration, queue depth, last received SMS) and a
# "Send SMS" text entity whose command topic takes "+number: message" (mqtt.parse_ha_text).
# Imported only when discovery is on, at each connect.
import json

# (key, name, topic under base, value template, unit)
_SENSORS = (
    ("signal", "Signal", "/status", "{{ value_json.signal }}", "dBm"),
    ("registration", "Registration", "/status", "{{ value_json.registration }}", None),
    ("queue", "Queue depth", "/status", "{{ value_json.queue }}", None),
    ("last_received", "Last received SMS", "/received",
     "{{ (value_json.phoneNumber ~ ': ' ~ value_json.message)[:250] }}", None),  # HA: 255 max
)


def device(device_id):
    """The HA device block shared by every entity."""
    from smsgw import VERSION

    return {"identifiers": ["smsgate_" + device_id], "name": "smsgate " + device_id,
            "manufacturer": "smsgate", "model": "ESP32 + SIMCom modem", "sw_version": VERSION}


async def publish_discovery(c, prefix, device_id, base):
    """Publish the retained discovery configs through the connected client `c` (QoS 1)."""
    dev = device(device_id)
    avail = base + "/availability"
    for key, name, sub, tpl, unit in _SENSORS:
        cfg = {"name": name, "unique_id": "%s_%s" % (device_id, key), "state_topic": base + sub,
               "value_template": tpl, "availability_topic": avail, "device": dev}
        if unit:
            cfg["unit_of_measurement"] = unit
            cfg["device_class"] = "signal_strength"
            cfg["state_class"] = "measurement"
        await c.publish("%s/sensor/%s_%s/config" % (prefix, device_id, key), json.dumps(cfg),
                        True, 1)
    text = {"name": "Send SMS", "unique_id": device_id + "_send", "mode": "text", "max": 255,
            "command_topic": base + "/ha/send", "availability_topic": avail,
            "pattern": r"^\+?[0-9 ]+:.+", "device": dev}
    await c.publish("%s/text/%s_send/config" % (prefix, device_id), json.dumps(text), True, 1)
