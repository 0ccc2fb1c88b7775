"""Records: dataclasses whose methods are shared, not compiled per class, and a cheap replace."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache, cached_property
from operator import attrgetter
from typing import TYPE_CHECKING, Any, dataclass_transform, overload

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@overload
def record[T](cls: type[T], /) -> type[T]: ...
@overload
def record[T](*, frozen: bool = True, eq: bool = True) -> Callable[[type[T]], type[T]]: ...


# @dataclass compiles each class's __init__, __eq__, __repr__, __hash__ and, frozen, its
# __setattr__ from generated source at import, and reads every string annotation with regular
# expressions: 0.66 ms a frozen record on the bench's machine, 25 ms of a 263 ms cold start for
# the tick's 54 records (docs/measured.md). A record's methods are shared instead, and its fields
# declared as @dataclass declares them, so fields(), asdict() and replace() work on it.
@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record[T](
    cls: type[T] | None = None, /, *, frozen: bool = True, eq: bool = True
) -> type[T] | Callable[[type[T]], type[T]]:
    """`@dataclass(frozen=frozen, eq=eq)`, for records that store their fields and nothing
    else: a field may have a default, a default factory or `repr=False`, and nothing more."""

    def make(cls: type[T]) -> type[T]:
        fields = _declare_fields(cls)
        names = tuple(f.name for f in fields)
        methods: dict[str, Any] = {
            "__init__": _initialiser(cls.__qualname__, fields),
            "__repr__": _representer(tuple(f.name for f in fields if f.repr)),
            "__match_args__": names,
        }
        if eq:
            key = attrgetter(*names) if names else tuple
            methods["__eq__"] = _equal
            methods["__hash__"] = (lambda self: hash(key(self))) if frozen else None
        if frozen:
            methods["__setattr__"] = methods["__delattr__"] = _refuse_change
        for name, method in methods.items():
            setattr(cls, name, method)
        return cls

    return make if cls is None else make(cls)


def _declare_fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    """The class's fields in `__dataclass_fields__`, as @dataclass leaves them."""
    where = cls.__qualname__
    if "__slots__" in vars(cls) or hasattr(cls, "__post_init__"):
        raise TypeError(f"{where}: a record has no slots and no __post_init__")
    if any(hasattr(base, "__dataclass_fields__") for base in cls.__mro__[1:]):
        raise TypeError(f"{where}: a record inherits no fields")
    fields: list[dataclasses.Field[Any]] = []
    for name, annotation in vars(cls).get("__annotations__", {}).items():
        value = vars(cls).get(name, dataclasses.MISSING)
        f: dataclasses.Field[Any] = (
            value if isinstance(value, dataclasses.Field) else dataclasses.field(default=value)
        )
        _refuse_what_is_not_plain(f"{where}.{name}", str(annotation), f, fields)
        f.name, f.type, f.kw_only = name, annotation, False
        # What fields(), asdict() and replace() tell a field by (not a ClassVar, not an InitVar).
        f._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
        if f.default is dataclasses.MISSING:
            if value is not dataclasses.MISSING:
                delattr(cls, name)  # the field(default_factory=...) itself
        else:
            setattr(cls, name, f.default)
        fields.append(f)
    setattr(cls, "__dataclass_fields__", {f.name: f for f in fields})  # noqa: B010
    return tuple(fields)


def _refuse_what_is_not_plain(
    where: str, annotation: str, f: dataclasses.Field[Any], earlier: list[dataclasses.Field[Any]]
) -> None:
    if annotation.split("[")[0].rsplit(".")[-1] in ("ClassVar", "InitVar"):
        raise TypeError(f"{where}: a record has no ClassVar or InitVar fields")
    if not f.init or not f.compare or f.kw_only is True or f.hash is not None:
        raise TypeError(f"{where}: a record's field is plain")
    if f.default is not dataclasses.MISSING and type(f.default).__hash__ is None:
        raise ValueError(f"{where}: a mutable default would be shared; use default_factory")
    if _required(f) and earlier and not _required(earlier[-1]):
        raise TypeError(f"{where}: a field without a default follows one with a default")


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _initialiser(name: str, fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    """One __init__ for the record's fields, as @dataclass would generate it."""
    names = tuple(f.name for f in fields)
    known = frozenset(names)
    defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
    factories = {
        f.name: f.default_factory for f in fields if f.default_factory is not dataclasses.MISSING
    }
    count = len(names)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        # Through __dict__, not setattr: a frozen record refuses setattr, as @dataclass's does.
        values = self.__dict__
        values.update(defaults)
        if args:
            if len(args) > count:
                raise TypeError(f"{name}() takes {count} arguments but {len(args)} were given")
            values.update(zip(names, args, strict=False))
        if kwargs:
            if not known.issuperset(kwargs):
                raise TypeError(_unknown_field(name, min(kwargs.keys() - known), names))
            if args and not kwargs.keys().isdisjoint(names[: len(args)]):
                twice = min(kwargs.keys() & set(names[: len(args)]))
                raise TypeError(f"{name}() got multiple values for argument {twice!r}")
            values.update(kwargs)
        for field_name, factory in factories.items():
            if field_name not in values:
                values[field_name] = factory()
        if len(values) < count:
            missing = [n for n in names if n not in values]
            raise TypeError(f"{name}() missing required argument {missing[0]!r}")

    __init__.__qualname__ = f"{name}.__init__"
    return __init__


def _unknown_field(record_name: str, unknown: str, names: tuple[str, ...]) -> str:
    import difflib  # only when a call is wrong

    close = difflib.get_close_matches(unknown, names, n=1)
    hint = f". Did you mean {close[0]!r}?" if close else ""
    return f"{record_name}() got an unexpected keyword argument {unknown!r}{hint}"


def _equal(self: object, other: object) -> object:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return vars(self) == vars(other)


def _representer(shown: tuple[str, ...]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in shown)
        return f"{type(self).__qualname__}({fields})"

    return __repr__


def _refuse_change(self: Any, name: str, *value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def replace[R: DataclassInstance](record: R, /, **changes: Any) -> R:
    """What `dataclasses.replace(record, **changes)` returns, made without running `__init__`:
    the record's fields copied, the changes laid over them.

    The standard one reads every field and runs `__init__`: a few microseconds a record, two
    dozen records a quiet tick. A record that does more than store its fields
    (`__post_init__`, `init=False` fields, slots, cached properties) takes the standard one.
    """
    names = _plain_fields(type(record))
    if names is None:
        return dataclasses.replace(record, **changes)
    if not names.issuperset(changes):  # no set built when every change names a field
        unknown = sorted(changes.keys() - names)
        raise TypeError(f"{type(record).__name__} has no field {unknown[0]!r}")
    copy = object.__new__(type(record))
    vars(copy).update(vars(record), **changes)
    return copy


@cache
def _plain_fields(cls: type) -> frozenset[str] | None:
    """The field names of a dataclass whose instances hold their fields and nothing else."""
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__slots__"):
        return None
    fields = dataclasses.fields(cls)
    plain = (
        not hasattr(cls, "__post_init__")
        and len(fields) == len(cls.__dataclass_fields__)  # no InitVar or ClassVar pseudo-fields
        and all(f.init for f in fields)
        and not any(isinstance(v, cached_property) for k in cls.__mro__ for v in vars(k).values())
    )
    return frozenset(f.name for f in fields) if plain else None
