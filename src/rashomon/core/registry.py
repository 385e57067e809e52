"""One registration style for interchangeable parts (attribution methods, IDSDS methods)."""

from __future__ import annotations

from typing import Callable, Generic, Iterator, TypeVar

from rashomon.core.errors import InputError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named entries added with `@registry.register(name)`; unknown names are one clear error."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def wrap(entry: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._entries[name] = entry
            return entry
        return wrap

    def get(self, name: str) -> T:
        if name not in self._entries:
            raise InputError(f"unknown {self.kind} {name!r}; available: {', '.join(sorted(self._entries))}")
        return self._entries[name]

    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
