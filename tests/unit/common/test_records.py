"""A record behaves as its dataclass twin; our replace makes what dataclasses.replace makes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

import pytest
from ceilingwatch.common.records import record, replace
from ceilingwatch.domain import state
from ceilingwatch.domain.forecast import ForecastWatch

RECORDS = [
    state.Judgement(),
    state.OpenEpisode(),
    state.HealthRecord(),
    state.Told(),
    state.Watches(),
    state.Answers(),
    state.Escalation(),
    state.DeliveryRecord(),
    state.AlertState(monitor="prod"),
    ForecastWatch(),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_each_field_replaced_gives_what_the_standard_replace_gives(record: object) -> None:
    for f in dataclasses.fields(record):  # type: ignore[arg-type]
        value = object()
        ours = replace(record, **{f.name: value})  # type: ignore[type-var]
        theirs = dataclasses.replace(record, **{f.name: value})  # type: ignore[type-var]
        assert type(ours) is type(theirs) and ours == theirs
        assert getattr(ours, f.name) is value and getattr(record, f.name) is not value
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(ours, f.name, None)


def test_a_name_that_is_no_field_is_refused_as_the_standard_one_refuses_it() -> None:
    with pytest.raises(TypeError, match="lvel"):
        replace(state.Told(), lvel=None)  # type: ignore[call-arg]


@dataclass(frozen=True)
class Checked:
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("negative")


@dataclass(frozen=True, slots=True)
class Slotted:
    value: int
    other: int = 0


@dataclass(frozen=True)
class Derived:
    values: tuple[int, ...]
    hidden: int = field(default=0, init=False)

    @cached_property
    def total(self) -> int:
        return sum(self.values)


def test_a_record_that_does_more_than_store_its_fields_takes_the_standard_replace() -> None:
    with pytest.raises(ValueError, match="negative"):
        replace(Checked(1), value=-1)  # its __post_init__ still checks
    assert replace(Slotted(1, 2), value=3) == Slotted(3, 2)
    derived = Derived((1, 2))
    assert derived.total == 3
    assert replace(derived, values=(5,)).total == 5  # no cached figure carried over


@record
class Reading:
    """A frozen record: what most of the domain's records are."""

    peak: int
    at: str = ""
    token: str = field(default="", repr=False)
    tags: dict[str, str] = field(default_factory=dict)


@record(frozen=False, eq=False)
class Wiring:
    name: str
    retries: int = 2


@dataclass(frozen=True)
class Twin:
    """Reading as @dataclass makes it: what a record must do alike."""

    peak: int
    at: str = ""
    token: str = field(default="", repr=False)
    tags: dict[str, str] = field(default_factory=dict)


def test_a_record_is_built_as_its_dataclass_twin_is() -> None:
    for args, kwargs in [
        ((3,), {}),
        ((3, "12:00"), {"token": "s"}),
        ((), {"peak": 3, "tags": {"a": "b"}}),
    ]:
        ours, theirs = Reading(*args, **kwargs), Twin(*args, **kwargs)
        assert dataclasses.asdict(ours) == dataclasses.asdict(theirs)
        assert repr(ours) == repr(theirs).replace("Twin", "Reading")
    assert Reading(1).tags is not Reading(1).tags  # each gets its own, as default_factory says
    assert [f.name for f in dataclasses.fields(Reading)] == ["peak", "at", "token", "tags"]
    assert dataclasses.replace(Reading(1, "a"), peak=2) == Reading(2, "a")
    assert Reading.__match_args__ == ("peak", "at", "token", "tags")
    assert dataclasses.is_dataclass(Reading) and Reading.at == ""  # the default, as a class's


def test_a_record_refuses_the_calls_its_dataclass_twin_refuses() -> None:
    bad_calls = [
        ((), {}),  # peak missing
        ((1, "a", "b", {}, 5), {}),  # too many
        ((1,), {"peek": 2}),  # a misspelt field
        ((1,), {"peak": 2}),  # peak twice
    ]
    for args, kwargs in bad_calls:
        with pytest.raises(TypeError) as theirs:
            Twin(*args, **kwargs)
        with pytest.raises(TypeError) as ours:
            Reading(*args, **kwargs)
        for word in ("peak", "peek", "multiple", "missing", "unexpected"):
            assert (word in str(ours.value)) == (word in str(theirs.value)), (args, kwargs)


def test_a_secret_field_stays_out_of_the_records_text() -> None:
    assert "hunter2-secret" not in repr(Reading(1, token="hunter2-secret"))
    assert "hunter2-secret" not in str(Reading(1, token="hunter2-secret"))


def test_a_frozen_record_compares_and_hashes_by_value_and_refuses_changes() -> None:
    one, same, other = Reading(1, "a"), Reading(1, "a"), Reading(2, "a")
    assert one == same and one != other and one != Twin(1, "a")
    hashable = {"tags": None}  # a dict is no more hashable in a record than in its twin
    assert hash(Reading(1, "a", **hashable)) == hash(Twin(1, "a", **hashable))  # type: ignore[arg-type]
    assert len({Reading(1, "a", **hashable), Reading(1, "a", **hashable)}) == 1  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.peak = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del one.peak  # type: ignore[misc]
    assert one.peak == 1


def test_an_unfrozen_record_without_eq_is_compared_by_identity_and_may_change() -> None:
    wiring = Wiring("slack")
    wiring.retries = 3
    assert wiring.retries == 3 and wiring != Wiring("slack", 3) and wiring == wiring
    assert repr(Wiring("slack")) == "Wiring(name='slack', retries=2)"


def test_what_a_record_cannot_stand_for_is_refused_when_it_is_declared() -> None:
    with pytest.raises(TypeError, match="__post_init__"):

        @record
        class Checked:
            value: int

            def __post_init__(self) -> None:
                pass

    with pytest.raises(TypeError, match="plain"):

        @record
        class Hidden:
            value: int = field(default=0, init=False)

    with pytest.raises(TypeError, match="ClassVar"):

        @record
        class Counted:
            total: ClassVar[int] = 0

    with pytest.raises(ValueError, match="default_factory"):

        @record
        class Shared:
            names: list[str] = []  # noqa: RUF012

    with pytest.raises(TypeError, match="follows"):

        @record
        class Unordered:
            at: str = ""
            peak: int  # type: ignore[misc]

    with pytest.raises(TypeError, match="inherits"):

        @record
        class Later(Reading):
            extra: int = 0
