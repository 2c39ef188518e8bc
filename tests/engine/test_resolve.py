"""Name resolution: processor numbers, ARK names, brand strings, ambiguity, suggestions.

The names below are spelled as their sources spell them: ARK's comparison-export headers
("Intel® Pentium® D Processor 920"), ARK records ("Intel® Core™ i7-920 Processor (8M Cache,
2.66 GHz, 4.80 GT/s Intel® QPI)"), InstLatx64 CPUID dumps' brand strings ("12th Gen
Intel(R) Core(TM) i5-12400", "AMD Ryzen 7 5800X 8-Core Processor").
"""

from __future__ import annotations

import pytest

from virtcompat.catalogue.types import BoardSpec, ChipsetSpec, CpuSpec
from virtcompat.engine.hostfacts import Unresolved
from virtcompat.engine.resolve import (
    ResolveError,
    catalog_facts,
    clean_cpu_name,
    generation,
    resolve_cpu,
)
from virtcompat.engine.snapshot import Snapshot


def _cpu(
    i: int, slug: str, brand: str, vendor: str = "intel", number: str | None = None
) -> CpuSpec:
    return CpuSpec(
        i, slug, brand, vendor, None, None, "unknown", "unknown", "unknown", "unknown", False,
        (), (), (), processor_number=number,
    )  # fmt: skip


CPUS = [
    _cpu(1, "intel-pentium-d-920", "Pentium D Processor 920", number="920"),
    _cpu(2, "intel-core-i7-920", "Core i7-920", number="i7-920"),
    _cpu(3, "intel-core-i5-2500", "Core i5-2500", number="i5-2500"),
    _cpu(4, "intel-core-i5-12600k", "Core i5-12600K", number="i5-12600K"),
    _cpu(5, "intel-core-i5-12400", "Core i5-12400", number="i5-12400"),
    _cpu(6, "intel-core-2-quad-q9550", "Core 2 Quad Q9550", number="Q9550"),
    _cpu(7, "amd-ryzen-7-5800x", "Ryzen 7 5800X", vendor="amd"),
    _cpu(8, "intel-itanium-9350", "Itanium Processor 9350", number="9350"),
    _cpu(9, "intel-xeon-silver-4314", "Xeon Silver 4314", number="4314"),
    _cpu(10, "intel-core-i7-12700", "Core i7-12700", number="i7-12700"),
]
CHIP = ChipsetSpec(1, "intel-q45", "Q45", "intel", "yes", "vt-d", "mch", (), (), ())
BOARD = BoardSpec(1, "intel-dq45cb", "DQ45CB", "intel", "intel-q45", "works", (), (), (), ())


def snapshot(cpus: list[CpuSpec] = CPUS) -> Snapshot:
    return Snapshot(
        version=1,
        chipsets={CHIP.slug: CHIP},
        cpus={c.slug: c for c in cpus},
        boards={BOARD.slug: BOARD},
        vendors={"intel": ("intel", "intel corporation"), "amd": ("amd",)},
        by_pci_id={},
        board_names={"dq45cb": (BOARD.slug,), "intel dq45cb": (BOARD.slug,)},
        chipset_names={"q45": (CHIP.slug,)},
    )


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("i5-12400", "intel-core-i5-12400"),  # processor number
        ("Core i5-12400", "intel-core-i5-12400"),
        ("Intel(R) Core(TM) i5-12400", "intel-core-i5-12400"),
        ("12th Gen Intel(R) Core(TM) i5-12400", "intel-core-i5-12400"),  # InstLatx64 brand
        ("Intel® Core™ i7-920 Processor (8M Cache, 2.66 GHz, 4.80 GT/s Intel® QPI)",
         "intel-core-i7-920"),  # ARK record name
        ("Intel® Pentium® D Processor 920", "intel-pentium-d-920"),  # ARK export header
        ("Q9550", "intel-core-2-quad-q9550"),
        ("Intel(R) Core(TM)2 Quad CPU    Q9550  @ 2.83GHz", "intel-core-2-quad-q9550"),
        ("AMD Ryzen 7 5800X 8-Core Processor", "amd-ryzen-7-5800x"),  # InstLatx64 brand
        ("Ryzen 7 5800X", "amd-ryzen-7-5800x"),
        ("Itanium 9350", "intel-itanium-9350"),
        ("Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz", "intel-xeon-silver-4314"),
        ("4314", "intel-xeon-silver-4314"),  # a number is a processor number before a row id
    ],
)  # fmt: skip
def test_names_resolve(name: str, slug: str) -> None:
    assert resolve_cpu(snapshot(), name).slug == slug


def test_bare_920_is_ambiguous_and_lists_both_parts() -> None:
    with pytest.raises(ResolveError) as err:
        resolve_cpu(snapshot(), "920")
    assert err.value.reason == "ambiguous"
    assert {c.split(" (")[0] for c in err.value.candidates} == {
        "Pentium D Processor 920",
        "Core i7-920",
    }


def test_a_number_that_names_no_part_still_finds_a_row_id() -> None:
    assert resolve_cpu(snapshot(), "3").slug == "intel-core-i5-2500"


def test_another_tier_of_a_known_number_is_not_that_part() -> None:
    # "i3-12400" does not exist; landing on the i5-12400 would be a silent guess.
    with pytest.raises(ResolveError) as err:
        resolve_cpu(snapshot(), "Core i3-12400")
    assert err.value.reason == "unknown"


def test_suggestions_come_from_the_same_generation_only() -> None:
    cpus = [c for c in CPUS if c.slug != "intel-core-i5-12400"]
    with pytest.raises(ResolveError) as err:
        resolve_cpu(snapshot(cpus), "i5-12400")
    labels = [c.split(" (")[0] for c in err.value.candidates]
    # Same line and generation (12th-gen Core), same tier (i5) first; never the i5-2500.
    assert labels == ["Core i5-12600K", "Core i7-12700"]


def test_unknown_generation_gets_no_suggestion_from_another() -> None:
    with pytest.raises(ResolveError) as err:
        resolve_cpu(snapshot(), "Core i5-13400")
    assert err.value.candidates == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Core i5-12400", ("core-i", "12", "i5")),
        ("Core i5-2500", ("core-i", "2", "i5")),
        ("Core i7-920", ("core-i", "1", "i7")),
        ("Core i5-1235U", ("core-i", "12", "i5")),
        ("Core Ultra 7 155H", ("core-ultra", "1", "7")),
        ("Ryzen 9 7950X", ("ryzen", "7", "9")),
        ("EPYC 7443P", ("epyc", "3", "")),
        ("Xeon Gold 6430", ("xeon-scalable", "4", "gold")),
    ],
)
def test_generation_from_the_model_number(name: str, expected: tuple[str, str, str]) -> None:
    assert generation(name) == expected


def test_clean_cpu_name_drops_marks_clock_and_cache() -> None:
    assert clean_cpu_name("Intel® Core™ i5-12400 Processor (18M Cache, up to 4.40 GHz)") == (
        "core i5 12400"
    )


def test_unknown_cpu_keeps_the_board() -> None:
    facts = catalog_facts(snapshot(), board="DQ45CB", cpu="Core i5-99999X")
    assert facts.board.spec is not None and facts.board.spec.slug == "intel-dq45cb"
    assert facts.cpu.spec is None
    assert facts.unresolved == (Unresolved("cpu", "Core i5-99999X", "unknown", ()),)
    assert "probe" in facts.unresolved[0].next_step
    assert "ARK" in facts.unresolved[0].next_step


def test_nothing_resolved_raises_with_every_unresolved_name() -> None:
    with pytest.raises(ResolveError) as err:
        catalog_facts(snapshot(), board="NoSuchBoard", cpu="920")
    fields = {(u.field, u.reason) for u in err.value.unresolved}
    assert fields == {("board", "unknown"), ("cpu", "ambiguous")}
