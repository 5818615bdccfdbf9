"""A Redis cache that a Redis outage cannot turn into an error page.

`SafeRedisCache` is Django's RedisCache whose every operation, when Redis cannot be reached, logs a warning and
behaves like Django's DummyCache: a read is a miss, a write is a no-op that reports success (`add` returns True),
`incr` raises ValueError as for a missing key. After a failure the backend does not try Redis again for
CACHE_RETRY_SECONDS, so an outage costs one connection timeout now and then, not one per cache call.

What that means for the callers:
- dashboards and progress counters are recomputed or show 0;
- allauth's rate limits FAIL OPEN during an outage: their history reads as empty, and their lock (`cache.add`)
  is granted. The alternative, failing closed, would answer every sign-in with "too many attempts" for as long
  as Redis is down. A sign-in is still a password check; only the brake on repeated guesses is off, and the
  warning in the log says so.
"""

import logging
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
DEFAULT_RETRY_SECONDS = 5


class SafeRedisCache(RedisCache):
    """RedisCache that treats an unreachable Redis as an empty cache (see the module's docstring)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0

    # --- the outage switch ---------------------------------------------------------------------------------------

    def _is_down(self):
        return time.monotonic() < self._down_until

    def _failed(self, operation, exc):
        retry = getattr(settings, "CACHE_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
        self._down_until = time.monotonic() + retry
        logger.warning(
            "Cache unreachable during %s (%s); serving without it for %ss (rate limits fail open meanwhile).",
            operation, exc.__class__.__name__, retry,
        )

    def _call(self, operation, fallback, func, *args, **kwargs):
        if self._is_down():
            return fallback()
        try:
            return func(*args, **kwargs)
        except UNREACHABLE as exc:
            self._failed(operation, exc)
            return fallback()

    # --- the cache API ----------------------------------------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", lambda: True, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", lambda: default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", lambda: None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", lambda: False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", lambda: False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", dict, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", lambda: False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found (cache unreachable).")

        return self._call("incr", missing, super().incr, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list, super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", lambda: None, super().delete_many, keys, version)

    def clear(self):
        return self._call("clear", lambda: False, super().clear)
