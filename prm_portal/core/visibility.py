"""What a person may see, asked by core without importing the apps that know: each record app registers, in its
AppConfig.ready, a function returning the queryset of its records visible to a user (its selector, which asks
the access policy). Core's shared surfaces (Recent Items) filter through it, so nothing outlives access."""

from collections.abc import Callable

_visible: dict[str, Callable] = {}


def visibility_register(model_label: str, visible_to: Callable) -> None:
    """`visible_to(user=...)` returns the queryset of `model_label` ("leads.lead") records the user may see."""
    _visible[model_label.lower()] = visible_to


def visible_pks(*, user, model_label: str, pks) -> set:
    """Which of `pks` the user may see now; a model nobody registered shows nothing."""
    visible_to = _visible.get(model_label.lower())
    if visible_to is None or not pks:
        return set()
    return set(visible_to(user=user).filter(pk__in=list(pks)).values_list("pk", flat=True))
