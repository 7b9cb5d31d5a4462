"""An in-process MQTT broker (amqtt) for ``zhizao demo`` and the tests, with device credentials and topic rules.

Usage::

    auth = DatabaseBrokerAuth(database, service_password=worker_password)   # from broker_auth
    async with EmbeddedBroker("127.0.0.1", 1883, verify=auth.verify, may=auth.may) as broker:
        ...  # broker.url == "mqtt://127.0.0.1:1883"

``verify(username, password) -> bool`` decides each CONNECT that carries a username; ``may(username, action,
topic) -> bool`` (``action`` is ``"publish"`` or ``"subscribe"``) decides each publish, each subscription and each
delivery (a delivery of topic T is allowed when subscribing to T would be). A refused CONNECT gets CONNACK "not
authorised"; a refused publish is dropped without a word (the connection stays, as with Mosquitto); a refused
subscription gets the SUBACK failure code 0x80. A CONNECT whose will message goes to a topic the client may not
publish to is refused, as Mosquitto does (amqtt itself would send the will unchecked).

``allow_anonymous=True`` (the demo) also admits clients without a username and lets them do anything; clients
that give a username are still checked by ``verify`` and ``may``. ``EmbeddedBroker(allow_anonymous=True)`` with
neither is an open broker: like Mosquitto without a password file, it admits every client, named or not.

The plugins are given to amqtt 0.12 by their dotted class path in the broker configuration's ``plugins`` section
(amqtt's recommended way since 0.11; entry points are its deprecated way) and the callables travel in each
plugin's ``Config`` dataclass, so nothing needs registering in ``pyproject.toml``.

Limits (amqtt 0.12's): no shared subscriptions — ``$share/{group}/{filter}`` is accepted but never matches, so
workers that use a shared group receive nothing from this broker (give them no group here); and amqtt deals with
an existing session of the same client id before it authenticates, so a client that is then refused can still
wipe the session (and the subscriptions) of the connected client whose id it used. This broker is for the demo and
tests on a trusted host; production uses Mosquitto (``broker_auth.mosquitto_config``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from amqtt.broker import Broker
from amqtt.contexts import Action, BrokerConfig, ListenerConfig, ListenerType
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session

Verify = Callable[[str, str], bool]
May = Callable[[str, str, str], bool]

logger = logging.getLogger(__name__)

_PUBLISH = "publish"
_SUBSCRIBE = "subscribe"


@dataclass(frozen=True)
class BrokerPolicy:
    """Who gets in and what they may do; see the module's docstring."""

    verify: Verify | None = None
    may: May | None = None
    allow_anonymous: bool = False

    def admits(self, username: str | None, password: str | None, will_topic: str | None) -> bool:
        if username is None:
            return self.allow_anonymous
        # Without verify, an open demo broker (EmbeddedBroker refuses verify=None unless anonymous access is on).
        verified = self.allow_anonymous if self.verify is None else self.verify(username, password or "")
        return verified and (will_topic is None or self.permits(username, _PUBLISH, will_topic))

    def permits(self, username: str | None, action: str, topic: str) -> bool:
        if username is None:
            return self.allow_anonymous
        return self.may is None or self.may(username, action, topic)


def _policy_of(config: Any) -> BrokerPolicy:
    policy = getattr(config, "policy", None)
    if not isinstance(policy, BrokerPolicy):
        raise TypeError("the plugin's config has no BrokerPolicy; configure the broker through EmbeddedBroker")
    return policy


class TokenAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]  # amqtt has no type information
    """amqtt authentication: ``BrokerPolicy.admits`` (device tokens, the service account, anonymous clients)."""

    @dataclass
    class Config:
        policy: Any = None  # a BrokerPolicy; Any, because amqtt builds this with dacite, which cannot check it

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self._policy = _policy_of(self.context.config)

    async def authenticate(self, *, session: Session) -> bool | None:
        will_topic = session.will_topic if session.will_flag else None
        try:
            admitted = self._policy.admits(session.username, session.password, will_topic)
        except Exception:  # a failing check refuses the client instead of killing its connection handler
            logger.exception("MQTT authentication failed with an error; client %s refused", session.client_id)
            return False
        if admitted and session.username is None:
            session.is_anonymous = True
        if not admitted:
            logger.info("MQTT client %s (user %r) refused at connect", session.client_id, session.username)
        return admitted


class TopicPolicyPlugin(BaseTopicPlugin):  # type: ignore[misc]  # amqtt has no type information
    """amqtt topic checks: ``BrokerPolicy.permits`` on publish, subscribe and delivery."""

    @dataclass
    class Config:
        policy: Any = None  # a BrokerPolicy

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self._policy = _policy_of(self.context.config)

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool | None:
        if session is None or not topic or action is None:
            return False
        # Deliveries (RECEIVE) are checked as subscriptions to the one topic delivered.
        checked = _PUBLISH if action == Action.PUBLISH else _SUBSCRIBE
        try:
            return self._policy.permits(session.username, checked, topic)
        except Exception:
            logger.exception("MQTT topic check failed with an error; %s of %r refused", checked, topic)
            return False


_AUTH_PLUGIN = f"{TokenAuthPlugin.__module__}.{TokenAuthPlugin.__qualname__}"
_TOPIC_PLUGIN = f"{TopicPolicyPlugin.__module__}.{TopicPolicyPlugin.__qualname__}"


def broker_config(host: str, port: int, policy: BrokerPolicy) -> BrokerConfig:
    """amqtt's configuration: one TCP listener and our two plugins only (no $SYS topics, no packet logging)."""
    return BrokerConfig(
        listeners={"default": ListenerConfig(type=ListenerType.TCP, bind=f"{host}:{port}")},
        plugins={_AUTH_PLUGIN: {"policy": policy}, _TOPIC_PLUGIN: {"policy": policy}},
    )


class EmbeddedBroker:
    """An amqtt broker on ``host:port`` (port 0: a free one, read back from ``port`` once started)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1883,
        *,
        verify: Verify | None = None,
        may: May | None = None,
        allow_anonymous: bool = False,
    ) -> None:
        if verify is None and not allow_anonymous:
            raise ValueError("a broker that admits no anonymous clients needs verify(username, password)")
        self.host = host
        self._requested_port = port
        self._bound_port: int | None = None
        self.policy = BrokerPolicy(verify=verify, may=may, allow_anonymous=allow_anonymous)
        self._broker: Broker | None = None

    @property
    def port(self) -> int:
        return self._bound_port if self._bound_port is not None else self._requested_port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"mqtt://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._broker is not None

    async def start(self) -> None:
        if self._broker is not None:
            raise RuntimeError("the broker is already running")
        # amqtt 0.12 warns (DeprecationWarning) only on its legacy paths (entry-point plugins, 'auth'/'topic-check'
        # sections, sys_interval, BrokerSysPlugin); this configuration takes none, so there is nothing to filter.
        broker = Broker(broker_config(self.host, self._requested_port, self.policy))
        await broker.start()
        self._broker = broker
        self._bound_port = _bound_port(broker) or self._requested_port
        logger.info("embedded MQTT broker listening on %s", self.url)

    async def stop(self) -> None:
        broker, self._broker = self._broker, None
        if broker is None:
            return
        try:
            await broker.shutdown()
        finally:
            self._bound_port = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.stop()


def _bound_port(broker: Broker) -> int | None:
    for server in broker._servers.values():  # amqtt keeps its listening servers here; no public accessor in 0.12
        instance = getattr(server, "instance", None)
        if isinstance(instance, asyncio.Server):
            for sock in instance.sockets:
                return int(sock.getsockname()[1])
    return None
