"""One way to build a paho-mqtt client from ``MqttConfig``, for the agent and the collector.

Both sides want the same things from a connection: paho's v2 callback API, a persistent
session (clean session off on 3.1.1; clean start off with a session expiry on 5), the
configured credentials and TLS, and reconnects with exponential back-off. Building that in
one place keeps a TLS or authentication fix from landing on one side only.

paho is imported inside the functions: ``edgebench.shared`` is part of the base install,
which does not carry paho.
"""

from __future__ import annotations

from typing import Any

from edgebench.shared.mqtt_config import MqttConfig


def make_client(
    mqtt: MqttConfig,
    client_id: str,
    *,
    manual_ack: bool = False,
    reconnect_min_s: int = 1,
    reconnect_max_s: int = 60,
) -> Any:
    """Return a paho client for a persistent session with credentials and TLS set.

    ``manual_ack`` makes the application acknowledge each received QoS 1 message itself
    (the collector acks only after its batch is committed).
    """
    import paho.mqtt.client as paho

    v5 = mqtt.protocol == "5"
    client = paho.Client(
        paho.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
        # Only 3.1.1 takes clean_session here; 5 passes clean_start to connect().
        clean_session=None if v5 else False,
        manual_ack=manual_ack,
    )
    if mqtt.username is not None:
        client.username_pw_set(mqtt.username, mqtt.password)
    if mqtt.use_tls:
        client.tls_set(
            ca_certs=str(mqtt.tls_ca) if mqtt.tls_ca else None,
            certfile=str(mqtt.tls_cert) if mqtt.tls_cert else None,
            keyfile=str(mqtt.tls_key) if mqtt.tls_key else None,
        )
    client.reconnect_delay_set(min_delay=reconnect_min_s, max_delay=reconnect_max_s)
    return client


def session_connect_args(mqtt: MqttConfig, *, receive_maximum: int | None = None) -> dict[str, Any]:
    """Return the extra ``connect()`` arguments that keep the session on MQTT 5.

    Empty on 3.1.1, where the persistent session is the client's ``clean_session=False``.
    """
    if mqtt.protocol != "5":
        return {}
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = mqtt.session_expiry_s
    if receive_maximum is not None:
        props.ReceiveMaximum = receive_maximum
    return {"clean_start": False, "properties": props}
