"""Publish one edgebench command message (QoS 1) and print it; settings come on stdin.

Run by benchmark.yml on the server with the collector's virtual environment (it has
paho-mqtt). stdin holds JSON: url, username, password, tls_ca, topic and the message
fields (device_id, command, model, options, ttl_s). Keeping the password on stdin keeps it
out of the process list.
"""

import json
import ssl
import sys
import time
import uuid
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

settings = json.load(sys.stdin)
now = time.time()
message = {
    "schema_version": 1,
    "message_id": uuid.uuid4().hex,
    "type": "command",
    "device_id": settings["device_id"],
    "ts": now,
    "command": settings["command"],
    "model": settings.get("model") or None,
    "options": settings.get("options") or {},
    "expires_at": now + float(settings.get("ttl_s") or 600),
}
url = urlsplit(settings["url"])
tls = url.scheme in ("mqtts", "ssl") or bool(settings.get("tls_ca"))
client = mqtt.Client(
    mqtt.CallbackAPIVersion.VERSION2, client_id=f"edgebench-ansible-{uuid.uuid4().hex[:12]}"
)
client.username_pw_set(settings["username"], settings["password"])
if tls:
    client.tls_set(ca_certs=settings.get("tls_ca") or None, cert_reqs=ssl.CERT_REQUIRED)
client.connect(url.hostname or "localhost", url.port or (8883 if tls else 1883), keepalive=30)
client.loop_start()
info = client.publish(settings["topic"], json.dumps(message, separators=(",", ":")), qos=1)
info.wait_for_publish(timeout=30)
client.disconnect()
client.loop_stop()
if not info.is_published():
    sys.exit(f"the broker did not acknowledge the command on {settings['topic']}")
print(json.dumps(message))
