"""Publish one edgebench command message (QoS 1) and print it; settings come on stdin.

Run by benchmark.yml on the server with the collector's virtual environment, which has
edgebench and paho-mqtt: the message, its topic and its encoding come from edgebench's
own contract (``edgebench.shared.messages``, ``.topics``, ``.codec``), and the payload is
checked the way the agent will check it before it is sent. stdin holds JSON: url,
username, password, tls_ca, topic_prefix and the message fields (device_id, command,
model, options, ttl_s). Keeping the password on stdin keeps it out of the process list.
"""

import json
import ssl
import sys
import time
import uuid
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

from edgebench.shared.codec import decode_message, encode_message, topic_for
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.messages import CommandMessage
from edgebench.shared.topics import TopicLayout

settings = json.load(sys.stdin)
now = time.time()
try:
    layout = TopicLayout(settings["topic_prefix"])
    message = CommandMessage(
        device_id=settings["device_id"],
        ts=now,
        command=settings["command"],
        model=settings.get("model") or None,
        options=settings.get("options") or {},
        expires_at=now + float(settings.get("ttl_s") or 600),
    )
    topic = topic_for(message, layout)
    payload = encode_message(message)
    decode_message(topic, payload, layout)
except EdgebenchError as exc:
    sys.exit(f"edgebench: error: {exc.format_message()}")
url = urlsplit(settings["url"])
tls = url.scheme in ("mqtts", "ssl") or bool(settings.get("tls_ca"))
# A one-off client: its own id and a clean session, so it leaves nothing at the broker.
client = mqtt.Client(
    mqtt.CallbackAPIVersion.VERSION2, client_id=f"edgebench-ansible-{uuid.uuid4().hex[:12]}"
)
client.username_pw_set(settings["username"], settings["password"])
if tls:
    client.tls_set(ca_certs=settings.get("tls_ca") or None, cert_reqs=ssl.CERT_REQUIRED)
client.connect(url.hostname or "localhost", url.port or (8883 if tls else 1883), keepalive=30)
client.loop_start()
info = client.publish(topic, payload, qos=1)
info.wait_for_publish(timeout=30)
client.disconnect()
client.loop_stop()
if not info.is_published():
    sys.exit(f"the broker did not acknowledge the command on {topic}")
print(payload.decode())
