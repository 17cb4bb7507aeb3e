"""The agent over TLS to a real Mosquitto TLS listener: CA file, optional client certificate.

Each test makes a throwaway PKI (``tlscerts.make_pki``) and a broker with a TLS listener on
one port and a plain one for the test's subscriber. The negative cases prove the link
really verifies: a broker certificate from another CA, or a missing client certificate
where the broker requires one, means no connection and the messages stay in the outbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.transport.conftest import Agent, Subscriber, wait_until
from tests.agent.transport.tlscerts import TlsFiles, make_pki
from tests.brokers import MosquittoBroker, free_port


class TlsBroker:
    """Mosquitto with a TLS listener (``url``) and a plain one for the subscriber."""

    def __init__(self, workdir: Path, pki: TlsFiles, *, require_client_cert: bool) -> None:
        self.plain_port = free_port()
        tls = [
            f"cafile {pki.ca}",
            f"certfile {pki.server_cert}",
            f"keyfile {pki.server_key}",
            f"require_certificate {'true' if require_client_cert else 'false'}",
            f"listener {self.plain_port} 127.0.0.1",
        ]
        # The helper's listener line comes first, so these options configure that listener.
        self.broker = MosquittoBroker(workdir, extra_config="\n".join(tls) + "\n")
        self.url = f"mqtts://127.0.0.1:{self.broker.port}"

    def __enter__(self) -> TlsBroker:
        self.broker.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.broker.stop()

    def handshakes(self) -> str:
        """The broker's log (it records TLS failures and each client's connect)."""
        return self.broker.log_path.read_text()


@pytest.fixture()
def pki(tmp_path: Path) -> TlsFiles:
    """A CA plus server and client certificates, written under the test's temp dir."""
    return make_pki(tmp_path / "pki")


@pytest.fixture()
def agents() -> Iterator[list[Agent]]:
    """Agents a test starts; all stopped afterwards even when an assertion fails."""
    started: list[Agent] = []
    yield started
    for agent in started:
        agent.stop()


def _deliver(agent: Agent, broker: TlsBroker) -> None:
    """The agent's messages arrive through the TLS listener, each once, as QoS 1."""
    sub = Subscriber(broker.plain_port).start()
    try:
        ids = agent.send(5)
        assert wait_until(lambda: len(sub.received) >= 5 and agent.outbox.count() == 0)
        assert [m.message_id for m in sub.messages()] == ids
        assert set(sub.qos) == {1}
    finally:
        sub.stop()


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_tls_with_ca_file_delivers(tmp_path: Path, pki: TlsFiles, agents, protocol) -> None:
    with TlsBroker(tmp_path / "broker", pki, require_client_cert=False) as broker:
        agent = Agent(tmp_path / "agent", broker.url, tls_ca=pki.ca, protocol=protocol)
        agents.append(agent.start())
        assert agent.link.wait_connected(15), broker.handshakes()[-2000:]
        _deliver(agent, broker)


def test_tls_refuses_a_broker_certificate_from_another_ca(
    tmp_path: Path, pki: TlsFiles, agents
) -> None:
    other = make_pki(tmp_path / "other", ca_name="some other CA")
    with TlsBroker(tmp_path / "broker", pki, require_client_cert=False) as broker:
        agent = Agent(tmp_path / "agent", broker.url, tls_ca=other.ca)
        agents.append(agent.start())
        agent.send(3)
        assert not agent.link.wait_connected(3)
        assert agent.outbox.count() == 3  # kept for when the CA is fixed, not lost


def test_tls_client_certificate_when_the_broker_requires_one(
    tmp_path: Path, pki: TlsFiles, agents
) -> None:
    with TlsBroker(tmp_path / "broker", pki, require_client_cert=True) as broker:
        anonymous = Agent(tmp_path / "anon", broker.url, tls_ca=pki.ca, client_id="no-cert")
        agents.append(anonymous.start())
        anonymous.send(2)
        assert not anonymous.link.wait_connected(3)
        assert anonymous.outbox.count() == 2
        agent = Agent(
            tmp_path / "agent",
            broker.url,
            tls_ca=pki.ca,
            tls_cert=pki.client_cert,
            tls_key=pki.client_key,
        )
        agents.append(agent.start())
        assert agent.link.wait_connected(15), broker.handshakes()[-2000:]
        _deliver(agent, broker)
