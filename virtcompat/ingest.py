"""Probe ingestion: scrub, parse, match to the catalogue, diagnose, store, count evidence.

Idempotent: the ``Idempotency-Key`` header (else a hash of the content) is unique in the
probes table, so a retried or concurrent duplicate post finds the first row instead of
writing a second. Secrets never reach the database: serial numbers, UUIDs and MACs are
replaced by salted hashes before parsing, and everything stored derives from the scrubbed
artefacts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import JSON, LargeBinary, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from virtcompat import jsontext, stats
from virtcompat.capability import CAPABILITIES, Capability, Evidence, Layer, Reason, Status
from virtcompat.catalog import bump_version
from virtcompat.catalogue.types import BoardSpec, ChipsetSpec, CpuSpec
from virtcompat.db import driver_row
from virtcompat.engine.hostfacts import (
    BoardFacts,
    ChipsetFacts,
    CpuFacts,
    FirmwareFacts,
    HostFacts,
    HypervisorFacts,
    KernelFacts,
    XenFacts,
)
from virtcompat.engine.passthrough import device_readiness
from virtcompat.engine.resolve import (
    ResolveError,
    find_bios,
    narrow_by_pci,
    resolve_board,
    resolve_cpu,
)
from virtcompat.engine.snapshot import Snapshot, load_snapshot
from virtcompat.engine.verdict import bios_build, judge
from virtcompat.models import Probe, UnverifiedHardware
from virtcompat.probe.artefacts import Observations, parse_artefacts
from virtcompat.probe.dmi import cpuid_from_signature
from virtcompat.probe.kernlog import KernelLog
from virtcompat.probe.redact import scrub_all, scrub_artefacts
from virtcompat.rules.registry import rules_version
from virtcompat.text import normalize_name

# Capabilities whose probe verdicts count as evidence for a board / BIOS release.
COUNTED = ("vtx", "vtd")


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for a different body."""


class ProbeNotFound(LookupError):
    pass


class DeleteTokenMismatch(PermissionError):
    pass


@dataclass(frozen=True)
class IngestResult:
    probe: Probe
    created: bool
    delete_token: str | None  # only on creation: the secret is not stored
    #: the new probe's diagnosis as jsontext.dumps wrote it for the database (PostgreSQL), so
    #: the response need not encode it again
    diagnosis_json: str | None = None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# zlib level of the stored artefacts. Level 3 against 6 on the corpus logs and the bench
# probe: 6-7 % more bytes (2,320 against 2,177 for the bench's 12.7 kB), half the time
# (51 against 107 us on the development VM): a probe post spends its CPU, the table its disk.
ARTEFACT_ZLIB_LEVEL = 3


def compress(artefacts: Mapping[str, Any]) -> bytes:
    return zlib.compress(canonical(artefacts), ARTEFACT_ZLIB_LEVEL)


def _canonical_payload(
    payload: Mapping[str, Any], artefacts: Mapping[str, Any], encoded: bytes
) -> bytes:
    """``canonical(payload)``, reusing ``encoded`` (``canonical(artefacts)``) for the
    payload's artefacts when scrubbing left them equal: the body is then encoded once, not
    twice. The same bytes: canonical JSON of an object is its keys in order, each with the
    canonical JSON of its value."""
    if payload.get("artefacts") != artefacts or not all(isinstance(k, str) for k in payload):
        return canonical(payload)
    parts = [
        json.dumps(k, ensure_ascii=False).encode()
        + b":"
        + (encoded if k == "artefacts" else canonical(payload[k]))
        for k in sorted(payload)
    ]
    return b"{" + b",".join(parts) + b"}"


def decompress(blob: bytes) -> dict[str, Any]:
    data = json.loads(zlib.decompress(blob))
    return data if isinstance(data, dict) else {}


# -- catalogue matching ---------------------------------------------------------------------


@dataclass(frozen=True)
class Matched:
    board: BoardSpec | None
    bios_version: str | None
    cpu: CpuSpec | None
    chipsets: tuple[ChipsetSpec, ...]
    chipset_via: str | None
    unknown: tuple[tuple[str, str, dict[str, Any]], ...]  # (kind, key, details)

    def as_dict(self) -> dict[str, Any]:
        bios = None
        if self.board is not None and self.bios_version:
            spec = find_bios(self.board, self.bios_version)
            bios = {
                "version": self.bios_version,
                "id": spec.id if spec else None,
                "known": spec is not None,
            }
        return {
            "board": {"id": self.board.id, "slug": self.board.slug, "name": self.board.model}
            if self.board
            else None,
            "bios": bios,
            "cpu": {"id": self.cpu.id, "slug": self.cpu.slug, "name": self.cpu.brand}
            if self.cpu
            else None,
            "chipsets": [{"id": c.id, "slug": c.slug, "name": c.name} for c in self.chipsets],
            "chipset_via": self.chipset_via,
            "unverified": [{"kind": k, "key": key} for k, key, _ in self.unknown],
        }


def _match_board(snapshot: Snapshot, obs: Observations) -> BoardSpec | None:
    dmi = obs.dmi
    if dmi is None:
        return None
    tries = []
    if dmi.board_name:
        tries += [f"{dmi.board_vendor or ''} {dmi.board_name}", dmi.board_name]
    if dmi.product_name:
        tries += [f"{dmi.sys_vendor or ''} {dmi.product_name}", dmi.product_name]
    for text in tries:
        if not text.strip():
            continue
        try:
            return resolve_board(snapshot, text)
        except ResolveError:
            continue
    return None


def _match_cpu(snapshot: Snapshot, obs: Observations) -> CpuSpec | None:
    info = obs.cpuinfo
    name = info.model_name if info else None
    if not name and obs.kernel_log is not None:
        name = obs.kernel_log.cpu_model_name
    if not name and obs.dmi is not None:
        name = obs.dmi.processor_version
    if not name:
        return None
    try:
        spec = resolve_cpu(snapshot, name)
    except ResolveError:
        return None
    if info is not None and info.vendor and spec.vendor != info.vendor:
        return None
    return spec


def _match_chipsets(
    snapshot: Snapshot, obs: Observations, board: BoardSpec | None
) -> tuple[tuple[ChipsetSpec, ...], str | None, tuple[str, ...]]:
    ids: frozenset[str] = frozenset()
    if obs.pci is not None:
        ids = frozenset(pid for d in obs.pci.devices if (pid := d.pci_id) is not None)
    by_role: dict[str, set[str]] = {"host_bridge": set(), "lpc": set(), "iommu": set()}
    for pid in ids:
        for slug in snapshot.by_pci_id.get(pid, ()):
            for cid, role, _ in snapshot.chipsets[slug].pci_ids:
                if cid == pid and role in by_role:
                    by_role[role].add(slug)
    hb, lpc = by_role["host_bridge"], by_role["lpc"]
    if hb and lpc and hb & lpc:
        chosen, via = hb & lpc, "host bridge and LPC bridge PCI ids"
    elif hb:
        chosen, via = hb, "host bridge PCI id"
    elif lpc:
        chosen, via = lpc, "LPC bridge PCI id"
    else:
        chosen, via = set(), None
    candidates = narrow_by_pci(tuple(snapshot.chipsets[s] for s in sorted(chosen)), ids)
    unknown_hb: tuple[str, ...] = ()
    if obs.pci is not None and not candidates:
        unknown_hb = tuple(
            sorted(pid for d in obs.pci.host_bridges if (pid := d.pci_id) is not None)
        )
    if board is not None and board.chipset_slug:
        board_chip = snapshot.chipsets[board.chipset_slug]
        if not candidates or board_chip in candidates:
            return (board_chip,), "board", unknown_hb
    return candidates, via, unknown_hb


def match(snapshot: Snapshot, obs: Observations) -> Matched:
    board = _match_board(snapshot, obs)
    cpu = _match_cpu(snapshot, obs)
    chipsets, via, unknown_hb = _match_chipsets(snapshot, obs, board)
    unknown: list[tuple[str, str, dict[str, Any]]] = []
    dmi = obs.dmi
    if board is None and dmi is not None and (dmi.board_name or dmi.product_name):
        key = normalize_name(
            f"{dmi.board_vendor or dmi.sys_vendor or ''} {dmi.board_name or dmi.product_name}"
        )
        if key and not dmi.virtual_platform:
            unknown.append(
                (
                    "board",
                    key[:300],
                    {
                        "board_vendor": dmi.board_vendor,
                        "board_name": dmi.board_name,
                        "sys_vendor": dmi.sys_vendor,
                        "product_name": dmi.product_name,
                    },
                )
            )
    info = obs.cpuinfo
    if cpu is None and info is not None and info.model_name and not info.hypervisor:
        unknown.append(
            (
                "cpu",
                normalize_name(info.model_name)[:300],
                {
                    "model_name": info.model_name,
                    "vendor": info.vendor,
                    "family": info.family,
                    "model": info.model,
                    "stepping": info.stepping,
                },
            )
        )
    for pid in unknown_hb:
        unknown.append(("chipset", pid, {"host_bridge": pid}))
    return Matched(
        board=board,
        bios_version=dmi.bios_version if dmi else None,
        cpu=cpu,
        chipsets=chipsets,
        chipset_via=via,
        unknown=tuple(unknown),
    )


# -- observations -> HostFacts --------------------------------------------------------------


def _vendor_from_name(name: str | None) -> str | None:
    """The CPU vendor from a brand string (the kernel log's smpboot line)."""
    lowered = (name or "").lower()
    if "intel" in lowered:
        return "intel"
    if "amd" in lowered:
        return "amd"
    return None


def _quoted(log: KernelLog, codes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(code, the line as logged) for each code, the first line of the last boot."""
    last = log.boots - 1 if log.boots else 0
    out = []
    for code in codes:
        for event in log.events:
            if event.code == code and event.boot == last:
                out.append((code, event.text))
                break
    return tuple(out)


def _cpu_identity(
    obs: Observations,
) -> tuple[int | None, int | None, int | None, str | None]:
    """CPUID family/model/stepping and where they were read: cpuinfo, else the kernel log's
    smpboot line, else dmidecode's processor signature, else the stepping alone from a 2.6.x
    'CPU0: <brand> stepping NN' line (enough to pick a Core 2 stepping's VT-x)."""
    info, log, dmi = obs.cpuinfo, obs.kernel_log, obs.dmi
    if info is not None and info.family is not None:
        return info.family, info.model, info.stepping, "cpuinfo"
    if log is not None and log.cpu_family is not None:
        return log.cpu_family, log.cpu_model, log.cpu_stepping, "kernel log smpboot line"
    signature = cpuid_from_signature(dmi.processor_signature) if dmi is not None else None
    if signature is not None:
        return (*signature, "DMI processor signature")
    if log is not None and log.cpu_stepping is not None:
        return None, None, log.cpu_stepping, "kernel log CPU0 line"
    return None, None, None, None


def host_facts(obs: Observations, m: Matched, probe_ref: str) -> HostFacts:
    def ev(what: str) -> tuple[Evidence, ...]:
        return (Evidence(kind="probe", id=probe_ref, source=what),)

    info = obs.cpuinfo
    log = obs.kernel_log
    x86 = info is not None and info.arch.value == "x86"
    flags = info.flags if info is not None and x86 and info.flags_present else None
    family, model, stepping, source = _cpu_identity(obs)
    cpu = CpuFacts(
        vendor=(info.vendor if info else None)
        or (m.cpu.vendor if m.cpu else None)
        or _vendor_from_name(log.cpu_model_name if log else None)
        or _vendor_from_name(obs.dmi.processor_version if obs.dmi else None),
        arch=info.arch.value if info else log.arch if log else None,
        brand=(info.model_name if info else None)
        or (log.cpu_model_name if log else None)
        or (obs.dmi.processor_version if obs.dmi else None),
        family=family,
        model=model,
        stepping=stepping,
        identity_source=source,
        spec=m.cpu,
        flags=flags,
        vmx_flags=info.vmx_flags if info else None,
        evidence=ev("cpuinfo"),
    )
    hv_name = None
    if log is not None and log.hypervisor_name:
        hv_name = log.hypervisor_name
    elif obs.dmi is not None and obs.dmi.virtual_platform:
        hv_name = obs.dmi.virtual_platform
    present = bool(info.hypervisor) if info is not None and x86 else None
    if log is not None and log.hypervisor_detected:
        present = True
    checks = obs.checks
    if checks.hypervisor_type == "xen" or (checks.xen_capabilities is not None and log is None):
        present, hv_name = True, hv_name or "Xen"
    hypervisor = HypervisorFacts(
        present=present,
        name=hv_name,
        xen_pv_domain=bool(log and log.xen_pv_domain)
        or checks.xen_capabilities is not None
        or checks.hypervisor_type == "xen",
        evidence=ev("cpuinfo/dmesg/sys hypervisor"),
    )

    cmd = obs.cmdline
    groups = obs.iommu_groups
    active: bool | None = None
    if groups is not None and groups > 0:
        active = True
    elif log is not None and log.iommu_active:
        active = True
    elif groups == 0 or (log is not None and (log.reached_userspace or log.iommu_cmdline_disabled)):
        # Absence is evidence only from the sysfs count, or from a log that runs past the
        # point where the IOMMU would have announced itself (or was switched off).
        active = False
    release = obs.kernel_release
    kv = obs.kernel_version
    kernel = KernelFacts(
        release=release,
        release_tuple=(kv[0], kv[1]) if kv else None,
        iommu_active=active,
        iommu_groups=groups,
        cmdline_iommu_echo=bool(log and log.iommu_cmdline_echo),
        intel_iommu=cmd.intel_iommu if cmd else (),
        amd_iommu=cmd.amd_iommu if cmd else (),
        iommu_passthrough=bool(
            (cmd and cmd.iommu_passthrough) or (log and log.iommu_passthrough_default)
        ),
        invalid_amd_iommu_values=tuple(
            v.split("=", 1)[1]
            for v in (cmd.invalid_values if cmd else ())
            if v.startswith("amd_iommu=")
        ),
        kvm_disabled_by_bios=bool(log and log.kvm_disabled_by_bios),
        vmx_disabled_by_bios=bool(log and log.vmx_disabled_by_bios),
        svm_disabled_by_bios=bool(log and log.svm_disabled_by_bios),
        kvm_no_hardware_support=bool(log and log.kvm_no_hw_support),
        dev_kvm=obs.dev_kvm,
        irq_remapping=False
        if log and log.irq_remapping_disabled
        else True
        if log and log.irq_remapping_enabled
        else None,
        kvm_log=_quoted(log, log.kvm_working) if log else (),
        slat_log=_quoted(log, log.slat_in_use) if log else (),
        kvm_usable=checks.kvm_usable,
        kvm_api_version=checks.kvm_api_version,
        kvm_error=checks.kvm_error,
        kvm_module=checks.kvm_module or obs.kvm_module,
        kvm_params=checks.kvm_params,
        msr_locked_off=checks.msr_locked_off,
        devices=checks.devices,
        cgroup_controllers=checks.cgroup_controllers,
        msr_detail=f"{'IA32_FEATURE_CONTROL' if checks.msr_vendor == 'intel' else 'VM_CR'}="
        f"{checks.msr_value:#x}"
        if checks.msr_value is not None
        else None,
        evidence=ev("kernel log, cmdline, /sys/kernel/iommu_groups"),
    )
    xen = None
    if obs.xl_info is not None and obs.xl_info.virt_caps is not None:
        xen = XenFacts(
            version=obs.xl_info.xen_version,
            xen_caps=obs.xl_info.xen_caps,
            virt_caps=obs.xl_info.virt_caps,
            hap=obs.xl_info.hap,
            evidence=ev("xl info"),
        )
    return HostFacts(
        origin="probe",
        cpu=cpu,
        chipset=ChipsetFacts(candidates=m.chipsets, via=m.chipset_via, evidence=ev("lspci")),
        board=BoardFacts(
            spec=m.board,
            bios_version=m.bios_version,
            bios_spec=find_bios(m.board, m.bios_version) if m.board and m.bios_version else None,
            dmi_vendor=obs.dmi.board_vendor if obs.dmi else None,
            dmi_name=obs.dmi.board_name if obs.dmi else None,
            evidence=ev("DMI"),
        ),
        firmware=FirmwareFacts(
            dmar=obs.dmar_table, ivrs=obs.ivrs_table, evidence=ev("ACPI table names / kernel log")
        ),
        kernel=kernel,
        hypervisor=hypervisor,
        xen=xen,
    )


# -- evidence tallies -----------------------------------------------------------------------


#: Rules whose ``unsupported`` rests on what the host itself showed of its silicon, in a way
#: no firmware or kernel setting explains: no vmx on a kernel older than 5.6 without a
#: hypervisor (a BIOS lock does not hide it there), cpuinfo showing vmx/svm without ept/npt,
#: a microarchitecture that predates EPT/NPT.
_HARDWARE_ABSENCE_RULES = frozenset({"HW-VTX-FLAG", "HW-SLAT-CPU", "HW-SLAT-MICROARCH"})


def _rules_out_firmware_and_kernel(cap: Capability) -> bool:
    deciding = [r for r in cap.reasons if not r.advisory and r.status == Status.UNSUPPORTED]
    return any(
        r.rule in _HARDWARE_ABSENCE_RULES
        and r.layer == Layer.CPU
        and r.evidence
        and all(e.kind == "probe" for e in r.evidence)
        for r in deciding
    )


def _count(cap: Capability) -> tuple[int, int, int]:
    """(confirm, contradict, inconclusive) for one capability of one probe."""
    if cap.status == Status.SUPPORTED:
        return 1, 0, 0
    if cap.status == Status.UNSUPPORTED and _rules_out_firmware_and_kernel(cap):
        return 0, 1, 0
    # disabled, masked, unknown, or unsupported only by absence or by the catalogue's own
    # spec: nothing this probe adds about the hardware.
    return 0, 0, 1


def contributions(m: Matched, caps: Mapping[str, Capability]) -> list[dict[str, Any]]:
    """What one probe adds to its board's tallies.

    One probe never decides a spec fact: only a verdict that rests on the host's own evidence
    of missing silicon contradicts; everything else is tallied as inconclusive.
    """
    if m.board is None:
        return []
    out = []
    bios = bios_build(m.bios_version) or ""
    for cap in COUNTED:
        confirm, contradict, inconclusive = _count(caps[cap])
        for version in {bios, ""}:
            out.append(
                {
                    "board_id": m.board.id,
                    "bios_version": version,
                    "capability": cap,
                    "confirm": confirm,
                    "contradict": contradict,
                    "inconclusive": inconclusive,
                }
            )
    return out


def _apply(session: Session, rows: list[dict[str, Any]], sign: int) -> None:
    stats.apply_evidence(session, rows, sign)


def _record_unverified(session: Session, m: Matched, probe_id: int) -> None:
    """Count the probe once under each unknown component: one multi-row upsert."""
    rows = _unverified_rows(m)
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(UnverifiedHardware).values(
        [
            {
                "kind": kind,
                "key": key,
                "details": details,
                "probe_count": 1,
                "first_probe_id": probe_id,
            }
            for kind, key, details in rows
        ]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["kind", "key"],
        set_={"probe_count": UnverifiedHardware.probe_count + 1},
    )
    session.execute(stmt)


# -- ingestion ------------------------------------------------------------------------------


def diagnose(
    snapshot: Snapshot, artefacts: Mapping[str, Any], salt: str, probe_ref: str
) -> tuple[Observations, Matched, dict[str, Capability]]:
    obs = parse_artefacts(artefacts, salt=salt)
    m = match(snapshot, obs)
    caps = judge(host_facts(obs, m, probe_ref))
    return obs, m, caps


def diagnosis_doc(obs: Observations, caps: Mapping[str, Capability]) -> dict[str, Any]:
    """The stored and returned diagnosis: the capabilities, and (when the probe placed PCI
    functions in IOMMU groups) each device's passthrough readiness."""
    doc: dict[str, Any] = {"capabilities": {c: caps[c].as_dict() for c in CAPABILITIES}}
    devices = device_readiness(obs)
    if devices:
        doc["devices"] = [d.as_dict() for d in devices]
    return doc


def ingest(
    session: Session,
    payload: Mapping[str, Any],
    *,
    idempotency_key: str | None,
    token_id: int | None,
    salt: str,
    snapshot: Snapshot,
    owner: str | None = None,
) -> IngestResult:
    artefacts, report = scrub_artefacts(payload.get("artefacts") or {}, salt)
    stored = canonical(artefacts)
    content_hash = _sha256(_canonical_payload(payload, artefacts, stored))
    # Keys are scoped to the token that sent the probe: two agents may both pick "1", and two
    # owners posting the same content each get a probe of their own (a shared row would hand
    # one owner the other's probe id and leave the second unable to read "its" probe).
    key = (
        "k:" + _sha256(f"{token_id}:{idempotency_key}".encode())
        if idempotency_key
        else "c:" + _sha256(f"{token_id}:{content_hash}".encode())
    )
    raw_agent = payload.get("agent")
    agent: Mapping[str, Any] = raw_agent if isinstance(raw_agent, Mapping) else {}
    obs, m, caps = diagnose(snapshot, artefacts, salt, "this probe")
    delete_token = "del_" + secrets.token_urlsafe(24)
    received = dt.datetime.now(dt.UTC)
    spec = find_bios(m.board, m.bios_version) if m.board and m.bios_version else None
    row: dict[str, Any] = {
        "received_at": received,
        "idempotency_key": key,
        "content_hash": content_hash,
        "token_id": token_id,
        "owner": owner,
        "delete_token_hash": _sha256(delete_token.encode()),
        "agent_name": _scrubbed(agent.get("name"), 100, salt),
        "agent_version": _scrubbed(agent.get("version"), 50, salt),
        "collected_at": _scrubbed(payload.get("collected_at"), 64, salt),
        "raw_artefacts": zlib.compress(stored, ARTEFACT_ZLIB_LEVEL),  # compress(), encoded once
        "facts": obs.as_dict(),
        "diagnosis": diagnosis_doc(obs, caps),
        "matched": m.as_dict(),
        "warnings": [*obs.warnings, *report.as_warnings()][:200],
        "rules_version": rules_version(),
        "board_id": m.board.id if m.board else None,
        "bios_release_id": spec.id if spec else None,
        "cpu_id": m.cpu.id if m.cpu else None,
        "chipset_id": m.chipsets[0].id if len(m.chipsets) == 1 else None,
        "contributions": contributions(m, caps),
        "stat_keys": _stat_keys(obs, m, received),
    }
    # One statement settles the race: a concurrent or earlier post with the same key makes
    # the insert a no-op (on PostgreSQL after waiting for that transaction to end) and the
    # winner's row is read back. Replaces a pre-insert SELECT plus a savepoint around an ORM
    # flush (four round trips and the unit of work, for the rare retry).
    dialect = session.get_bind().dialect.name
    one_statement = _one_statement(dialect)
    diagnosis_json = None
    if one_statement:
        probe_id, diagnosis_json = _insert_counted(session, row, m)
    else:
        probe_id = session.execute(_insert_probe(dialect), row).scalar_one_or_none()
    if probe_id is None:
        winner = session.scalars(select(Probe).where(Probe.idempotency_key == key)).one_or_none()
        if winner is None:
            raise RuntimeError("the probe insert found a conflicting key but no row")
        return _replay(winner, content_hash)
    probe = Probe(id=probe_id, **row)
    if not one_statement:
        _apply(session, probe.contributions, +1)
        stats.apply(session, probe.stat_keys, stats.statuses(probe.diagnosis), +1)
        _record_unverified(session, m, probe.id)
        if probe.contributions:
            bump_version(session, spec=False)  # /compat cites the new tallies
    return IngestResult(
        probe=probe, created=True, delete_token=delete_token, diagnosis_json=diagnosis_json
    )


def _one_statement(dialect: str) -> bool:
    """Whether a new probe is written with :func:`_insert_counted` (PostgreSQL) rather than
    as separate statements (SQLite: in process, so there are no round trips to save)."""
    return dialect == "postgresql"


def _unverified_rows(m: Matched) -> list[tuple[str, str, dict[str, Any]]]:
    """One row per unknown (kind, key), the first one's details, in (kind, key) order like
    the aggregates (concurrent probes lock them in one order). One row per key also because
    ON CONFLICT may not touch a row twice in one statement."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, key, details in m.unknown:
        rows.setdefault((kind, key), details)
    return [(kind, key, details) for (kind, key), details in sorted(rows.items())]


def _insert_counted(session: Session, row: Mapping[str, Any], m: Matched) -> tuple[int | None, str]:
    """PostgreSQL: the probe insert and everything a new probe adds, as one statement (one
    round trip): the evidence tallies, the dashboard aggregates, the unverified hardware and
    the catalogue version (when the probe brings evidence). Each part adds its rows only when
    the insert made a row, so a replay or a concurrent duplicate adds nothing. Returns the new
    probe's id (None when the key was taken) and the diagnosis as encoded for the row.

    The parts run in the order the outer SELECT reads them, which is the order of the separate
    statements this replaces (and of deletion and reprocessing): the probe row, the aggregate
    tables in stats.WRITE_ORDER, unverified hardware, the catalogue state. Driver SQL with the
    JSON values encoded here: the statement is fixed, and SQLAlchemy's compilation and per-type
    bind processing of ~30 values cost more than the rest of the call."""
    tables = stats.probe_rows(
        row["stat_keys"], stats.statuses(row["diagnosis"]), row["contributions"], +1
    )
    columns = tuple(row)
    sql, json_columns = _counted_statement(columns)
    params = {c: jsontext.dumps(row[c]) if c in json_columns else row[c] for c in columns}
    for i, rows in enumerate(tables.values()):
        params[f"agg{i}"] = jsontext.dumps(rows)
    params["unverified"] = jsontext.dumps(_unverified_rows(m))
    params["bump"] = bool(row["contributions"])
    params["stamp"] = secrets.token_hex(8)
    probe_id: int | None = driver_row(session.connection(), sql, params)[0]
    return probe_id, params["diagnosis"]


_COUNTED: dict[tuple[str, ...], tuple[str, frozenset[str]]] = {}


def _counted_statement(columns: tuple[str, ...]) -> tuple[str, frozenset[str]]:
    """The SQL of :func:`_insert_counted` for a row with ``columns`` (built once), and which
    of them are JSON (sent encoded, cast in SQL)."""
    found = _COUNTED.get(columns)
    if found is not None:
        return found
    table = cast(Table, Probe.__table__)
    json_columns = frozenset(c for c in columns if isinstance(table.c[c].type, JSON))
    # The compressed artefacts go in binary (%b): no hex escaping, half the bytes.
    values = ", ".join(
        f"CAST(%({c})s AS json)"
        if c in json_columns
        else f"%({c})b"
        if isinstance(table.c[c].type, LargeBinary)
        else f"%({c})s"
        for c in columns
    )
    # Table and column names come from the model, never from a request.
    parts = [
        f"p AS (INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({values}) "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id)"
    ]
    names = []
    for i, model in enumerate(stats.WRITE_ORDER):
        names.append(f"agg{i}")
        parts.append(stats.upsert_cte(model, f"agg{i}", "p"))
    parts.append(
        "unverified AS (INSERT INTO unverified_hardware "
        "(kind, key, details, probe_count, first_probe_id) "
        "SELECT r.v->>0, r.v->>1, r.v->2, 1, p.id FROM p, "
        "json_array_elements(CAST(%(unverified)s AS json)) WITH ORDINALITY AS r(v, n) "
        "ORDER BY r.n ON CONFLICT (kind, key) DO UPDATE "
        "SET probe_count = unverified_hardware.probe_count + 1 RETURNING 1)"
    )
    # catalog.bump_version(spec=False) as an upsert: the version and stamp move; a missing
    # row is created as bump_version creates it.
    parts.append(
        "bumped AS (INSERT INTO catalog_state (id, version, stamp, spec_stamp) "
        "SELECT 1, 2, %(stamp)s, %(stamp)s FROM p WHERE %(bump)s "
        "ON CONFLICT (id) DO UPDATE "
        "SET version = catalog_state.version + 1, stamp = excluded.stamp RETURNING 1)"
    )
    names += ["unverified", "bumped"]
    # The outer SELECT evaluates its subqueries left to right (the sum's operands in order),
    # each running its part to completion: that fixes the order in which the parts write and
    # lock their rows. The second column is how many rows the parts wrote.
    written = " + ".join(f"(SELECT count(*) FROM {n})" for n in names)
    found = _COUNTED[columns] = (
        f"WITH {', '.join(parts)} SELECT (SELECT id FROM p), {written}",
        json_columns,
    )
    return found


_PROBE_INSERTS: dict[str, Any] = {}


def _insert_probe(dialect: str) -> Any:
    """``INSERT INTO probes ... ON CONFLICT (idempotency_key) DO NOTHING RETURNING id``, built
    once per dialect (the row travels as parameters)."""
    stmt = _PROBE_INSERTS.get(dialect)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = cast(Table, Probe.__table__)
        stmt = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(table.c.id)
        )
        _PROBE_INSERTS[dialect] = stmt
    return stmt


def _stat_keys(obs: Observations, m: Matched, received: dt.datetime) -> list[list[str]]:
    info = obs.cpuinfo
    return stats.keys_for(
        received=received,
        cpu_vendor=(info.vendor if info else None) or (m.cpu.vendor if m.cpu else None),
        board=(m.board.slug, m.board.vendor) if m.board else None,
        chipset=m.chipsets[0].slug if len(m.chipsets) == 1 else None,
        bios=bios_build(m.bios_version),
        kernel=obs.kernel_version,
        xen=obs.xl_info.xen_version if obs.xl_info else None,
    )


def _replay(existing: Probe, content_hash: str) -> IngestResult:
    if existing.content_hash != content_hash:
        raise IdempotencyConflict("the Idempotency-Key was used for a different probe body")
    return IngestResult(probe=existing, created=False, delete_token=None)


def _short(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if isinstance(value, str | int | float) else None


def _scrubbed(value: Any, limit: int, salt: str) -> str | None:
    # Free text from the envelope is stored too, so it is scrubbed like an artefact.
    short = _short(value, limit * 4)
    return scrub_all(short, salt)[:limit] if short is not None else None


def may_access(probe: Probe, token_id: int, token_name: str, scopes: Sequence[str]) -> bool:
    """Whether a token may read, delete or validate against ``probe``: the token that posted
    it, another token of the same owner name (a rotated one), or an admin. Probes stored
    before ownership (owner NULL) are admin-only."""
    if "admin" in scopes:
        return True
    if probe.owner is None:
        return False
    return probe.token_id == token_id or probe.owner == token_name


def delete_probe(session: Session, probe_id: int, delete_token: str) -> None:
    # Locked, so a concurrent delete or reprocess of the same probe cannot undo its counts twice.
    probe = session.get(Probe, probe_id, with_for_update=True, populate_existing=True)
    if probe is None:
        raise ProbeNotFound(probe_id)
    if not secrets.compare_digest(probe.delete_token_hash, _sha256(delete_token.encode())):
        raise DeleteTokenMismatch(probe_id)
    remove_probe(session, probe)


def remove_probe(session: Session, probe: Probe) -> None:
    """Delete a probe and undo everything it added to the tallies and aggregates."""
    # Row-locked and re-read: a concurrent delete or reprocess of this probe either finished
    # (then its counts are the ones to undo, or it is gone) or waits for us.
    locked = session.get(Probe, probe.id, with_for_update=True, populate_existing=True)
    if locked is None:
        raise ProbeNotFound(probe.id)
    probe = locked
    _apply(session, probe.contributions, -1)
    stats.apply(session, probe.stat_keys, stats.statuses(probe.diagnosis), -1)
    if probe.contributions:
        bump_version(session, spec=False)
    session.delete(probe)
    session.flush()


def reprocess_all(session: Session, *, batch_size: int = 100, salt: str) -> int:
    """Re-run the current parsers, matching and rules over every stored probe."""
    snapshot = load_snapshot(session)
    count = 0
    last_id = 0
    while True:
        probes = session.scalars(
            select(Probe)
            .where(Probe.id > last_id)
            .order_by(Probe.id)
            .limit(batch_size)
            .with_for_update()  # concurrent deletes/reprocesses wait: counts undone once
            .execution_options(populate_existing=True)
        ).all()
        if not probes:
            break
        batch = stats.Batch()
        for probe in probes:
            # Re-scrub first: rows stored before a redaction rule existed lose what it finds.
            artefacts, _ = scrub_artefacts(decompress(probe.raw_artefacts), salt)
            probe.raw_artefacts = compress(artefacts)
            probe.agent_name = _scrubbed(probe.agent_name, 100, salt)
            probe.agent_version = _scrubbed(probe.agent_version, 50, salt)
            probe.collected_at = _scrubbed(probe.collected_at, 64, salt)
            probe.warnings = [scrub_all(w, salt) for w in probe.warnings or []]
            obs, m, caps = diagnose(snapshot, artefacts, salt, "this probe")
            batch.add(probe.stat_keys, stats.statuses(probe.diagnosis), probe.contributions, -1)
            probe.facts = obs.as_dict()
            probe.matched = m.as_dict()
            probe.diagnosis = diagnosis_doc(obs, caps)
            probe.rules_version = rules_version()
            probe.board_id = m.board.id if m.board else None
            probe.cpu_id = m.cpu.id if m.cpu else None
            probe.chipset_id = m.chipsets[0].id if len(m.chipsets) == 1 else None
            probe.contributions = contributions(m, caps)
            received = probe.received_at or dt.datetime.now(dt.UTC)
            probe.stat_keys = _stat_keys(obs, m, received)
            batch.add(probe.stat_keys, stats.statuses(probe.diagnosis), probe.contributions, +1)
            last_id = probe.id
            count += 1
        batch.flush(session)
        bump_version(session, spec=False)
        session.commit()
    return count


def stored_capabilities(diagnosis: Mapping[str, Any]) -> dict[str, Capability]:
    """Rebuild verdict objects from a stored diagnosis (for config validation targets)."""
    out: dict[str, Capability] = {}
    caps = diagnosis.get("capabilities", {}) if isinstance(diagnosis, Mapping) else {}
    for name in CAPABILITIES:
        raw = caps.get(name) or {}
        reasons = tuple(
            Reason(
                rule=str(r.get("rule")),
                layer=Layer(r.get("layer", "board")),
                status=Status(r.get("status", "unknown")),
                message=str(r.get("message", "")),
                hint=r.get("hint"),
                evidence=tuple(Evidence(**e) for e in r.get("evidence", [])),
                advisory=bool(r.get("advisory", False)),
            )
            for r in raw.get("reasons", [])
        )
        out[name] = Capability(status=Status(raw.get("status", "unknown")), reasons=reasons)
    return out
