"""Our replace makes what dataclasses.replace makes, for every record of the state and beyond."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property

import pytest
from ceilingwatch.common.records import replace
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
