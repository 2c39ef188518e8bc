"""The hardware catalogue and probe storage, as typed SQLAlchemy 2 models.

Every constraint is named through ``naming_convention`` so Alembic migrations are stable
across SQLite and PostgreSQL. Facts carry their sources through ``Citation`` rows (a
source plus a confidence, and optionally which field and which value the source asserts),
so a verdict can always say where a fact came from.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, onupdate=_utcnow, server_default=func.now()
    )


class Tri(enum.StrEnum):
    """A fact that may be unknown: the catalogue never turns "not known" into "no"."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class IommuSupport(enum.StrEnum):
    YES = "yes"
    NO = "no"
    # The silicon has it but boards must enable it (Intel X38/X48 per Intel's VT-d note).
    BOARD_DEPENDENT = "board_dependent"
    # Works with a limitation (e.g. DMA remapping without interrupt remapping).
    PARTIAL = "partial"
    UNKNOWN = "unknown"


class IommuKind(enum.StrEnum):
    VTD = "vt-d"
    AMD_VI = "amd-vi"
    NONE = "none"
    UNKNOWN = "unknown"


class IommuLocation(enum.StrEnum):
    """Where the IOMMU lives decides which catalogue row a VT-d verdict must consult."""

    MCH = "mch"  # Core 2 era: the GMCH/MCH (Q35, Q45)
    IOH = "ioh"  # Nehalem: Tylersburg IOH (X58, 5500, 5520)
    CPU = "cpu"  # Lynnfield/Clarkdale, Sandy Bridge and later: in the CPU package
    NORTHBRIDGE = "northbridge"  # AMD RD890/RD990
    NONE = "none"
    UNKNOWN = "unknown"


class PciRole(enum.StrEnum):
    HOST_BRIDGE = "host_bridge"
    LPC = "lpc"
    IOMMU = "iommu"
    IGD = "igd"
    OTHER = "other"


class SlatKind(enum.StrEnum):
    EPT = "ept"
    NPT = "npt"
    NONE = "none"
    UNKNOWN = "unknown"


class Confidence(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class NoteKind(enum.StrEnum):
    TRAP = "trap"
    ERRATUM = "erratum"
    REQUIREMENT = "requirement"
    TIP = "tip"
    # Two sources disagree; the verdict for ``capability`` becomes ``conflict``.
    CONFLICT = "conflict"
    # A source qualifies another without contradicting the verdict (e.g. Q43 and TXT).
    QUALIFICATION = "qualification"


class NoteSeverity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


def _enum(e: type[enum.StrEnum], name: str) -> Enum:
    # Stored as plain strings with a CHECK constraint, so adding a member is a migration
    # touching one constraint instead of a PostgreSQL enum type.
    return Enum(
        e,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda m: [x.value for x in m],
        validate_strings=True,
    )


class Vendor(Timestamped, Base):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Spellings seen in DMI and cpuinfo ("Intel Corporation", "GenuineIntel").
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)


class Source(Timestamped, Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(1000))
    document_id: Mapped[str | None] = mapped_column(String(200))
    published: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40), default="other")


class Chipset(Timestamped, Base):
    __tablename__ = "chipsets"
    __table_args__ = (UniqueConstraint("vendor_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    family: Mapped[str | None] = mapped_column(String(300))
    iommu_support: Mapped[IommuSupport] = mapped_column(
        _enum(IommuSupport, "iommu_support"), default=IommuSupport.UNKNOWN
    )
    iommu_kind: Mapped[IommuKind] = mapped_column(
        _enum(IommuKind, "iommu_kind"), default=IommuKind.UNKNOWN
    )
    iommu_location: Mapped[IommuLocation] = mapped_column(
        _enum(IommuLocation, "iommu_location"), default=IommuLocation.UNKNOWN
    )
    curated: Mapped[bool] = mapped_column(default=True, server_default=text("true"))

    vendor: Mapped[Vendor] = relationship(lazy="joined")
    pci_ids: Mapped[list[ChipsetPciId]] = relationship(
        back_populates="chipset",
        cascade="all, delete-orphan",
        order_by="ChipsetPciId.pci_id",
    )


class ChipsetPciId(Base):
    """A PCI id that identifies a chipset; one id may belong to several (8086:2e10)."""

    __tablename__ = "chipset_pci_ids"
    __table_args__ = (UniqueConstraint("chipset_id", "pci_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chipset_id: Mapped[int] = mapped_column(ForeignKey("chipsets.id", ondelete="CASCADE"))
    pci_id: Mapped[str] = mapped_column(String(9), index=True)  # "8086:2e10"
    role: Mapped[PciRole] = mapped_column(_enum(PciRole, "pci_role"))
    label: Mapped[str | None] = mapped_column(String(200))

    chipset: Mapped[Chipset] = relationship(back_populates="pci_ids")


class Cpu(Timestamped, Base):
    __tablename__ = "cpus"
    __table_args__ = (UniqueConstraint("vendor_id", "brand"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    brand: Mapped[str] = mapped_column(String(200))
    family: Mapped[int | None] = mapped_column(Integer)
    model: Mapped[int | None] = mapped_column(Integer)
    microarchitecture: Mapped[str | None] = mapped_column(String(100))
    # Identity from the bulk sources: ARK's processor number ("i5-12400", "9350"), the code
    # name as the source spells it, and the canonical slug of virtcompat.microarch.
    processor_number: Mapped[str | None] = mapped_column(String(60), index=True)
    code_name: Mapped[str | None] = mapped_column(String(100))
    microarch: Mapped[str | None] = mapped_column(String(40), index=True)
    stepping: Mapped[int | None] = mapped_column(Integer)
    launch_year: Mapped[int | None] = mapped_column(Integer)
    launch_quarter: Mapped[str | None] = mapped_column(String(8))  # "Q1'22"
    segment: Mapped[str | None] = mapped_column(String(40))
    socket: Mapped[str | None] = mapped_column(String(200))
    # "ia64" for Itanium: ARK's "VT-x" line there is VT-i, and x86 guests cannot run.
    isa: Mapped[str] = mapped_column(String(8), default="x86", server_default="x86")
    # Curated rows (seed/, the API) are never changed by an importer: a disagreeing import
    # becomes a conflict note beside them. Importer-created rows are not curated.
    curated: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    vtx: Mapped[Tri] = mapped_column(_enum(Tri, "vtx"), default=Tri.UNKNOWN)
    vtd: Mapped[Tri] = mapped_column(_enum(Tri, "vtd"), default=Tri.UNKNOWN)
    slat: Mapped[Tri] = mapped_column(_enum(Tri, "slat"), default=Tri.UNKNOWN)
    slat_kind: Mapped[SlatKind] = mapped_column(
        _enum(SlatKind, "slat_kind"), default=SlatKind.UNKNOWN
    )
    # Whether the IOMMU of a platform with this CPU lives in the CPU package (Lynnfield,
    # Clarkdale, Sandy Bridge on): then the CPU's ``vtd`` is a hard layer of the verdict.
    iommu_in_cpu: Mapped[bool] = mapped_column(default=False)

    vendor: Mapped[Vendor] = relationship(lazy="joined")
    steppings: Mapped[list[CpuStepping]] = relationship(
        back_populates="cpu", cascade="all, delete-orphan", order_by="CpuStepping.name"
    )


class CpuStepping(Base):
    """Stepping-specific facts (Core 2 Duo E7400: no VT-x in M0, VT-x in R0)."""

    __tablename__ = "cpu_steppings"
    __table_args__ = (UniqueConstraint("cpu_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cpu_id: Mapped[int] = mapped_column(ForeignKey("cpus.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(20))  # "R0"
    cpuid_stepping: Mapped[int | None] = mapped_column(Integer)  # /proc/cpuinfo "stepping"
    vtx: Mapped[Tri] = mapped_column(_enum(Tri, "vtx"), default=Tri.UNKNOWN)

    cpu: Mapped[Cpu] = relationship(back_populates="steppings")


class Board(Timestamped, Base):
    __tablename__ = "boards"
    __table_args__ = (UniqueConstraint("vendor_id", "model"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    chipset_id: Mapped[int | None] = mapped_column(
        ForeignKey("chipsets.id", ondelete="RESTRICT"), index=True
    )
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    model: Mapped[str] = mapped_column(String(200))
    # What the board's documentation/reports say of VT-d on this board as a whole.
    vtd_status: Mapped[str] = mapped_column(String(20), default="unknown")
    curated: Mapped[bool] = mapped_column(default=True, server_default=text("true"))

    vendor: Mapped[Vendor] = relationship(lazy="joined")
    chipset: Mapped[Chipset | None] = relationship(lazy="joined")
    aliases: Mapped[list[BoardAlias]] = relationship(
        back_populates="board", cascade="all, delete-orphan", order_by="BoardAlias.id"
    )
    bios_releases: Mapped[list[BiosRelease]] = relationship(
        back_populates="board", cascade="all, delete-orphan", order_by="BiosRelease.version"
    )


class BoardAlias(Base):
    """A DMI spelling of a board: board_vendor/board_name or sys_vendor/product_name."""

    __tablename__ = "board_aliases"
    __table_args__ = (UniqueConstraint("board_id", "kind", "normalized"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # "board" | "product"
    vendor: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    normalized: Mapped[str] = mapped_column(String(200), index=True)

    board: Mapped[Board] = relationship(back_populates="aliases")


class BiosRelease(Timestamped, Base):
    __tablename__ = "bios_releases"
    __table_args__ = (UniqueConstraint("board_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(100))
    released: Mapped[dt.date | None]
    vtx_option: Mapped[Tri] = mapped_column(_enum(Tri, "vtx_option"), default=Tri.UNKNOWN)
    vtd_option: Mapped[Tri] = mapped_column(_enum(Tri, "vtd_option"), default=Tri.UNKNOWN)
    vtd_works: Mapped[Tri] = mapped_column(_enum(Tri, "vtd_works"), default=Tri.UNKNOWN)

    board: Mapped[Board] = relationship(back_populates="bios_releases")


class Note(Timestamped, Base):
    """A trap, erratum, requirement, tip, conflict or qualification about one row."""

    __tablename__ = "notes"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN chipset_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN board_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN bios_release_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN cpu_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_subject",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[NoteKind] = mapped_column(_enum(NoteKind, "note_kind"))
    severity: Mapped[NoteSeverity] = mapped_column(
        _enum(NoteSeverity, "note_severity"), default=NoteSeverity.INFO
    )
    capability: Mapped[str | None] = mapped_column(String(20))  # "vtx" | "vtd" | "slat"
    text: Mapped[str] = mapped_column(Text)
    # For requirement notes: the oldest BIOS release the capability works with.
    min_bios_version: Mapped[str | None] = mapped_column(String(100))
    chipset_id: Mapped[int | None] = mapped_column(
        ForeignKey("chipsets.id", ondelete="CASCADE"), index=True
    )
    board_id: Mapped[int | None] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), index=True
    )
    bios_release_id: Mapped[int | None] = mapped_column(
        ForeignKey("bios_releases.id", ondelete="CASCADE"), index=True
    )
    cpu_id: Mapped[int | None] = mapped_column(
        ForeignKey("cpus.id", ondelete="CASCADE"), index=True
    )


class Citation(Base):
    """Links a source to one catalogue row (or one field of it) with a confidence."""

    __tablename__ = "citations"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN vendor_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN chipset_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN cpu_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN board_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN bios_release_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN note_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_subject",
        ),
        Index("ix_citations_source_id", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))
    confidence: Mapped[Confidence] = mapped_column(_enum(Confidence, "confidence"))
    # Which fact the source supports ("vtd", "iommu_support"…); NULL means the row as a whole.
    field: Mapped[str | None] = mapped_column(String(50))
    # What the source says, in its own terms, when that differs from the row ("capable").
    claim: Mapped[str | None] = mapped_column(Text)
    vendor_id: Mapped[int | None] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE"), index=True
    )
    chipset_id: Mapped[int | None] = mapped_column(
        ForeignKey("chipsets.id", ondelete="CASCADE"), index=True
    )
    cpu_id: Mapped[int | None] = mapped_column(
        ForeignKey("cpus.id", ondelete="CASCADE"), index=True
    )
    board_id: Mapped[int | None] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), index=True
    )
    bios_release_id: Mapped[int | None] = mapped_column(
        ForeignKey("bios_releases.id", ondelete="CASCADE"), index=True
    )
    note_id: Mapped[int | None] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), index=True
    )

    source: Mapped[Source] = relationship(lazy="joined")


class SourceFile(Base):
    """A bulk source file an importer read, by content hash: an unchanged file is skipped."""

    __tablename__ = "source_files"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # the importer: ark, codenames, qubes-hcl…
    name: Mapped[str] = mapped_column(String(300))  # path relative to the import root
    sha256: Mapped[str] = mapped_column(String(64))
    exported: Mapped[str | None] = mapped_column(String(40))  # the file's own date, if any
    imported_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, server_default=func.now()
    )
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Observation(Base):
    """What one machine report (a Qubes HCL report) saw on a board with one BIOS release.

    Observations are evidence counted per board x BIOS release, like probes, and never
    become spec facts. ``record`` is the report's own link.
    """

    __tablename__ = "observations"
    __table_args__ = (UniqueConstraint("source_id", "record", "capability"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    bios_version: Mapped[str] = mapped_column(String(100), default="")
    capability: Mapped[str] = mapped_column(String(20))  # hvm | vtd | slat | irq_remap
    observed: Mapped[Tri] = mapped_column(_enum(Tri, "observed"))
    record: Mapped[str] = mapped_column(String(500))


class ApiToken(Base):
    """A bearer token; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, server_default=func.now()
    )
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CatalogState(Base):
    """A single row whose ``version`` every catalogue write bumps (cache invalidation)."""

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Random per bump: a rolled-back write and a later one can reach the same version
    # number with different content, never the same stamp (see engine.snapshot's memo).
    stamp: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # Changed only by writes to the spec side (catalogue rows, citations, imported reports),
    # not by probe tallies: a probe rebuilds the small evidence part of the snapshot, never
    # the imported catalogue.
    spec_stamp: Mapped[str] = mapped_column(String(32), default="", server_default="")


class Probe(Base):
    """One posted probe report: compressed raw artefacts, parsed facts and the diagnosis."""

    __tablename__ = "probes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the Idempotency-Key header ("k:…") or of the canonical body ("c:…"): a
    # client-chosen key is never stored as given.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL"), index=True
    )
    # The name of the token that posted the probe: its owner. A probe is read, deleted and
    # used as a validation target only by that token, a token of the same name (a rotated
    # one) or an admin. NULL (rows from before ownership) means admin only.
    owner: Mapped[str | None] = mapped_column(String(100), index=True)
    delete_token_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, server_default=func.now(), index=True
    )
    agent_name: Mapped[str | None] = mapped_column(String(100))
    agent_version: Mapped[str | None] = mapped_column(String(50))
    collected_at: Mapped[str | None] = mapped_column(String(64))
    raw_artefacts: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed, scrubbed JSON
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    diagnosis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    matched: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules_version: Mapped[str | None] = mapped_column(String(32))
    # The evidence increments this probe applied, so deletion and reprocessing undo exactly
    # them: [{"board_id", "bios_version", "capability", "confirm", "contradict"}].
    contributions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The dashboard dimensions this probe was counted under: [["month", "2026-11"], ...].
    stat_keys: Mapped[list[list[str]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    board_id: Mapped[int | None] = mapped_column(
        ForeignKey("boards.id", ondelete="SET NULL"), index=True
    )
    bios_release_id: Mapped[int | None] = mapped_column(
        ForeignKey("bios_releases.id", ondelete="SET NULL"), index=True
    )
    cpu_id: Mapped[int | None] = mapped_column(
        ForeignKey("cpus.id", ondelete="SET NULL"), index=True
    )
    chipset_id: Mapped[int | None] = mapped_column(
        ForeignKey("chipsets.id", ondelete="SET NULL"), index=True
    )


class EvidenceCount(Base):
    """Per board / BIOS release and capability, how many probes confirm or contradict.

    Maintained incrementally in the probe's transaction (and undone on probe deletion), so
    neither /compat nor a dashboard ever scans the probes table.
    """

    __tablename__ = "evidence_counts"
    __table_args__ = (UniqueConstraint("board_id", "bios_version", "capability"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    # "" stands for "any BIOS" so that the unique constraint holds on both databases.
    bios_version: Mapped[str] = mapped_column(String(100), default="")
    capability: Mapped[str] = mapped_column(String(20))
    confirm: Mapped[int] = mapped_column(Integer, default=0)
    contradict: Mapped[int] = mapped_column(Integer, default=0)
    # Probes that said nothing about the hardware: disabled, masked, unknown, or an absence
    # (no DMAR table) that firmware or kernel settings explain as well as missing silicon.
    inconclusive: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ProbeStat(Base):
    """Dashboard aggregate: probes per dimension value, capability and verdict status.

    Kept incrementally in the probe's transaction (and undone on deletion or reprocessing),
    so a dashboard read never scans the probes table.
    """

    __tablename__ = "probe_stats"
    __table_args__ = (UniqueConstraint("dimension", "key", "capability", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20))  # all | month | vendor | chipset | board
    key: Mapped[str] = mapped_column(String(200))
    capability: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(Integer, default=0)


class UnverifiedHardware(Base):
    """Hardware seen in probes that the catalogue does not know: a candidate, not a fact."""

    __tablename__ = "unverified_hardware"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "board" | "cpu" | "chipset"
    key: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    probe_count: Mapped[int] = mapped_column(Integer, default=0)
    first_probe_id: Mapped[int | None] = mapped_column(ForeignKey("probes.id", ondelete="SET NULL"))


class ProbeSeries(Base):
    """Dashboard trend: probes per UTC day, ISO week and month, capability and status.

    Each probe is counted under every combination of its board, chipset and CPU vendor with
    "*" (any), and in its day, week and month, so a trend with any mix of those filters and
    any bucket is one indexed range read whose size depends on the number of buckets asked
    for, never on how many probes there are.
    """

    __tablename__ = "probe_series"
    __table_args__ = (
        UniqueConstraint("bucket", "board", "chipset", "cpu_vendor", "day", "capability", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(5))  # "day" | "week" | "month"
    board: Mapped[str] = mapped_column(String(100))  # board slug or "*"
    chipset: Mapped[str] = mapped_column(String(100))  # chipset slug or "*"
    cpu_vendor: Mapped[str] = mapped_column(String(200))  # "intel" | "amd" | … or "*"
    # First UTC day of the bucket: "2026-11-26"; a week starts on Monday, a month on the 1st.
    day: Mapped[str] = mapped_column(String(10))
    capability: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(Integer, default=0)


class ReleaseStat(Base):
    """Probe verdicts of one catalogue board per BIOS build, kernel series or Xen version,
    for regression reports ("VT-d supported on 0061, disabled on 0070")."""

    __tablename__ = "release_stats"
    __table_args__ = (UniqueConstraint("board", "axis", "release", "capability", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board: Mapped[str] = mapped_column(String(100))  # board slug
    axis: Mapped[str] = mapped_column(String(10))  # "bios" | "kernel" | "xen"
    release: Mapped[str] = mapped_column(String(100))
    capability: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(Integer, default=0)
