"""Cache generations: a reader keys its cached values by a generation number that a writer bumps, so a
lower layer (a record app's service) can make a higher layer's cache stale without importing it."""

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


def _key(name):
    return f"cachegen:{name}"


def cache_generation(name) -> int:
    """The current generation of `name` (0 when unknown or when the cache cannot be reached)."""
    try:
        return cache.get(_key(name), 0)
    except Exception:  # a cache outage is a miss, never an error
        logger.warning("cache unreachable reading generation %s", name, exc_info=True)
        return 0


def cache_generation_bump(name) -> None:
    """Everything cached under the old generation of `name` is stale from now on."""
    try:
        cache.set(_key(name), time.time_ns(), None)
    except Exception:
        logger.warning("cache unreachable bumping generation %s", name, exc_info=True)
