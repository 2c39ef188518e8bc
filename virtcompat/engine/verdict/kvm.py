"""What the host's own kernel and KVM say: KVM's initialisation lines, the agent's live
KVM check, the firmware lock MSR, kvm module parameters, and the CPU's microarchitecture.

Each function returns the reasons of one rule; the capability modules call them and let
positive, first-hand evidence settle layers that would otherwise stay ``unknown``.

Message meanings were read in the kernel source (torvalds/linux):
- ``kvm_amd: Nested Virtualization enabled`` / ``Nested Paging enabled|disabled``
  (``kvm: `` prefix before ~v4.x): ``svm_hardware_setup()`` in arch/x86/kvm/svm/svm.c, which
  runs only after ``kvm_is_svm_supported()`` passed (CPU has SVM, VM_CR.SVMDIS clear);
  ``Nested Paging %s`` reports ``npt_enabled``.
- ``VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL does not work properly. Using workaround``:
  ``setup_vmcs_config()`` / ``vmx_hardware_setup()`` in arch/x86/kvm/vmx/vmx.c, after the
  VMX support and feature-control checks (Nehalem/Westmere erratum AAK155 etc.).
- ``L1TF CPU bug present and SMT on|virtualization mitigation disabled``: ``vmx_vm_init()``
  in vmx.c, printed only when ``enable_ept`` is set, i.e. a VM was created with EPT.
- ``kvm: enabling virtualization on CPU%d`` (2.6.2x hotplug notifier in kvm_main.c) is
  printed after KVM initialised; the ``... failed`` variants are not evidence of support.
- ``already loaded vendor module '%s'``: ``kvm_x86_vendor_init()`` in arch/x86/kvm/x86.c
  refusing a second vendor module: the first one initialised.
"""

from __future__ import annotations

from virtcompat import microarch
from virtcompat.capability import Evidence, Layer, Reason
from virtcompat.engine.hostfacts import HostFacts
from virtcompat.engine.verdict.common import S, feature, info, reason, vendor
from virtcompat.rules.registry import Applies, Rule, Severity, register

_SVM_C = "torvalds/linux arch/x86/kvm/svm/svm.c svm_hardware_setup() (old: arch/x86/kvm/svm.c)"
_VMX_C = "torvalds/linux arch/x86/kvm/vmx/vmx.c setup_vmcs_config(), vmx_vm_init()"
_X86_C = "torvalds/linux arch/x86/kvm/x86.c kvm_x86_vendor_init(); virt/kvm/kvm_main.c"
_KVM_API = "torvalds/linux Documentation/virt/kvm/api.rst (KVM_GET_API_VERSION, KVM_CREATE_VM)"


def _rule(id_: str, title: str, severity: Severity, explanation: str, *sources: str) -> Rule:
    return register(
        Rule(
            id=id_,
            title=title,
            severity=severity,
            applies_to=Applies.HARDWARE,
            explanation=explanation,
            sources=tuple(sources),
        )
    )


KVM_LOG = _rule(
    "HW-KVM-LOG",
    "KVM's own initialisation lines prove VT-x/AMD-V (and EPT/NPT) enabled",
    Severity.INFO,
    "KVM prints these lines only after its CPU-support and BIOS-lock checks passed: "
    "'kvm_amd: Nested Virtualization enabled', 'Nested Paging enabled' (NPT in use), "
    "'VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL does not work properly' (VMX set up), "
    "'L1TF CPU bug present…' (a VM created with EPT), 'kvm: enabling virtualization on CPUn', "
    "'already loaded vendor module'. Older 'kvm: ' and newer module-prefixed spellings alike.",
    _SVM_C,
    _VMX_C,
    _X86_C,
)
KVM_USABLE = _rule(
    "HW-KVM-USABLE",
    "/dev/kvm works: KVM_GET_API_VERSION and KVM_CREATE_VM answered",
    Severity.INFO,
    "The agent opened /dev/kvm read-write, asked KVM_GET_API_VERSION (12 on every kernel "
    "since 2.6.22) and created, then closed, an empty VM (KVM_CREATE_VM); no VM ran. The "
    "module behind it is kvm_intel (VT-x), kvm_amd (AMD-V) or another, e.g. kvm_pvm (a "
    "software KVM that needs no VT-x: KVM works, Xen HVM still needs the extension).",
    _KVM_API,
)
FIRMWARE_LOCK_MSR = _rule(
    "HW-FIRMWARE-LOCK-MSR",
    "The firmware lock bits: IA32_FEATURE_CONTROL (0x3a) or VM_CR (0xC0010114)",
    Severity.ERROR,
    "Intel: bit 0 (lock) set with bit 2 (VMXON outside SMX) clear means the BIOS locked VT-x "
    "off until the next reset. AMD: VM_CR bit 4 (SVMDIS) set means SVM is disabled by the "
    "BIOS. Read by the agent as root from /dev/cpu/0/msr, as kvm-ok and fwts do.",
    "Intel SDM Vol. 3C 23.7 (IA32_FEATURE_CONTROL); AMD APM Vol. 2 15.30.1 (VM_CR)",
    "ubuntu cpu-checker kvm-ok; fwts src/cpu/virt/virt_vmx.c, virt_svm.c",
)
KVM_PARAMS = _rule(
    "HW-KVM-PARAMS",
    "kvm_intel / kvm_amd module parameters (ept, npt, nested, unrestricted_guest, sev…)",
    Severity.INFO,
    "/sys/module/kvm_intel/parameters/ept and kvm_amd/parameters/npt say whether the loaded "
    "module uses EPT/NPT (Y/1) or fell back to shadow paging (N/0, an option or a CPU "
    "without it); 'nested' says whether guests may run their own hypervisor.",
    _VMX_C,
    _SVM_C,
)
SLAT_MICROARCH = _rule(
    "HW-SLAT-MICROARCH",
    "The CPU's microarchitecture predates EPT / NPT",
    Severity.ERROR,
    "EPT arrived with Nehalem on the Core line and Silvermont on the Atom line; Merom, Penryn "
    "(all Core 2), Bonnell/Saltwell Atoms and NetBurst have none. AMD's NPT (RVI) arrived "
    "with family 10h (Barcelona, K10); K8 has none. The microarchitecture comes from the "
    "CPUID family/model the host printed (smpboot line, cpuinfo).",
    "owiki copy of Wikipedia 'Intel Core 2' (no EPT before Nehalem)",
    "Wikipedia 'AMD-V' / 'Rapid Virtualization Indexing' (family 10h)",
    "virtcompat/microarch.py (family/model -> microarchitecture)",
)

#: Codes of the log lines that also prove the paging extension in use.
_SLAT_CODES = {"kvm_amd.npt_enabled": "NPT", "kvm_intel.l1tf_ept": "EPT"}


def _log_evidence(f: HostFacts, lines: tuple[tuple[str, str], ...]) -> tuple[Evidence, ...]:
    ref = f.kernel.evidence[0].id if f.kernel.evidence else "probe"
    return tuple(
        Evidence(kind="probe", id=ref, source=f"kernel log: '{text}'") for _, text in lines
    )


def kvm_log_proves_vtx(f: HostFacts) -> Reason | None:
    """HW-KVM-LOG: KVM initialised, so the CPU has the extension and the BIOS enabled it."""
    lines = f.kernel.kvm_log
    if not f.observed or not lines:
        return None
    quoted = "; ".join(f"'{text}'" for _, text in lines[:2])
    return reason(
        KVM_LOG,
        Layer.KERNEL,
        S.SUPPORTED,
        f"KVM initialised on this host ({quoted}): {feature(vendor(f))} is present and enabled "
        "by the firmware.",
        _log_evidence(f, lines),
        hint={},
    )


def kvm_log_proves_slat(f: HostFacts) -> Reason | None:
    """HW-KVM-LOG: KVM runs guests with EPT/NPT."""
    lines = f.kernel.slat_log
    if not f.observed or not lines:
        return None
    kinds = sorted({_SLAT_CODES.get(code, "EPT/NPT") for code, _ in lines})
    return reason(
        KVM_LOG,
        Layer.KERNEL,
        S.SUPPORTED,
        f"KVM uses {'/'.join(kinds)}: '{lines[0][1]}'.",
        _log_evidence(f, lines),
        hint={},
    )


def _hw_module(f: HostFacts) -> bool:
    return f.kernel.kvm_module in ("kvm_intel", "kvm_amd")


def kvm_check_proves_vtx(f: HostFacts) -> Reason | None:
    """HW-KVM-USABLE: /dev/kvm answered and the module behind it is kvm_intel/kvm_amd."""
    k = f.kernel
    if not f.observed or k.kvm_usable is not True or not _hw_module(f):
        return None
    return reason(
        KVM_USABLE,
        Layer.KERNEL,
        S.SUPPORTED,
        f"/dev/kvm works (API version {k.kvm_api_version}, KVM_CREATE_VM answered) through "
        f"{k.kvm_module}: {feature(vendor(f))} is present and enabled.",
        k.evidence,
        hint={},
    )


def kvm_usable_reason(f: HostFacts) -> Reason | None:
    """HW-KVM-USABLE for HVM guests under KVM, whatever module provides /dev/kvm."""
    k = f.kernel
    if not f.observed or k.kvm_usable is None:
        return None
    module = k.kvm_module or "an unnamed module"
    if k.kvm_usable:
        extra = (
            ""
            if _hw_module(f)
            else f" {module} is not kvm_intel/kvm_amd: KVM guests run, but Xen HVM still needs "
            f"{feature(vendor(f))}."
        )
        return reason(
            KVM_USABLE,
            Layer.KERNEL,
            S.SUPPORTED,
            f"KVM is usable: /dev/kvm answered KVM_GET_API_VERSION ({k.kvm_api_version}) and "
            f"KVM_CREATE_VM through {module}.{extra}",
            k.evidence,
            hint={},
        )
    return reason(
        KVM_USABLE,
        Layer.KERNEL,
        S.DISABLED,
        f"/dev/kvm did not work: {k.kvm_error or 'no reason given'}.",
        k.evidence,
        hint={"check": "/dev/kvm permissions (group kvm) and that kvm_intel/kvm_amd is loaded"},
    )


def firmware_lock(f: HostFacts) -> Reason | None:
    """HW-FIRMWARE-LOCK-MSR: what the lock MSR says, when the agent could read it."""
    k = f.kernel
    if not f.observed or k.msr_locked_off is None:
        return None
    feat = feature(vendor(f))
    if k.msr_locked_off:
        return reason(
            FIRMWARE_LOCK_MSR,
            Layer.FIRMWARE,
            S.DISABLED,
            f"{k.msr_detail}: the firmware locked {feat} off.",
            k.evidence,
            hint={
                "bios_setting": "Intel Virtualization Technology (VT-x) / SVM Mode: Enabled",
                "then": "power the machine fully off and on (the lock holds until reset)",
            },
        )
    return reason(
        FIRMWARE_LOCK_MSR,
        Layer.FIRMWARE,
        S.SUPPORTED,
        f"{k.msr_detail}: the firmware did not lock {feat} off.",
        k.evidence,
        hint={},
    )


def paging_param(f: HostFacts) -> Reason | None:
    """HW-KVM-PARAMS: kvm_intel.ept / kvm_amd.npt as the loaded module reports them."""
    k = f.kernel
    name = "npt" if k.param("npt") is not None else "ept"
    value = k.param(name)
    if not f.observed or value is None:
        return None
    module = "kvm_amd" if name == "npt" else "kvm_intel"
    if value:
        return reason(
            KVM_PARAMS,
            Layer.KERNEL,
            S.SUPPORTED,
            f"{module} runs with {name}=Y: guests use {name.upper()}.",
            k.evidence,
            hint={},
        )
    return reason(
        KVM_PARAMS,
        Layer.KERNEL,
        S.DISABLED,
        f"{module} runs with {name}=N: guests use shadow paging (an option, or a CPU without "
        f"{name.upper()}).",
        k.evidence,
        hint={"check": f"'options {module} {name}=1' in /etc/modprobe.d, then reload {module}"},
    )


def _no_slat_microarch(f: HostFacts) -> microarch.Microarch | None:
    c = f.cpu
    m = microarch.from_cpuid(c.vendor, c.family, c.model, c.stepping)
    if m is None:
        return None
    if m.line == "core" and not m.at_least("nehalem"):
        return m
    if m.line == "atom" and not m.at_least("silvermont"):
        return m
    if m.line == "netburst" or m.slug in ("k8", "k8-rev-f"):
        return m
    return None


def microarch_lacks_slat(f: HostFacts) -> Reason | None:
    """HW-SLAT-MICROARCH: Penryn, Merom, early Atoms, NetBurst and K8 have no EPT/NPT."""
    m = _no_slat_microarch(f)
    if m is None:
        return None
    kind = "NPT" if m.vendor == "amd" else "EPT"
    c = f.cpu
    where = f" ({c.identity_source})" if c.identity_source else ""
    return reason(
        SLAT_MICROARCH,
        Layer.CPU,
        S.UNSUPPORTED,
        f"CPUID family {c.family:#x} model {c.model:#x}{where} is {m.name}, which has no "
        f"{kind}: hypervisors fall back to shadow paging.",
        f.cpu.evidence,
        hint={"choose_cpu": "Nehalem or later (Intel) / family 10h or later (AMD)"},
    )


NON_X86 = _rule(
    "HW-NON-X86",
    "A non-x86 host is judged in its own architecture's terms",
    Severity.INFO,
    "VT-x, AMD-V, VT-d, DMAR and IVRS are x86 names. An arm64 host virtualizes with EL2 "
    "(VHE from ARMv8.1; KVM logs 'kvm [1]: Hyp|VHE mode initialized successfully') and "
    "isolates devices with an SMMU described by the ACPI IORT table (or the device tree); "
    "POWER uses the hypervisor mode and its own IOMMU (TCE tables); s390 uses SIE and zPCI.",
    "torvalds/linux arch/arm64/kvm/arm.c; drivers/iommu/arm/arm-smmu-v3; drivers/acpi/arm64/iort.c",
    "libvirt tools/virt-host-validate-common.c (IORT/SMMU check on ARM)",
)

_ARM = ("arm", "aarch64")


def non_x86_arch(f: HostFacts) -> str | None:
    arch = f.cpu.arch
    return arch if f.observed and arch not in (None, "x86") else None


def non_x86_iommu(f: HostFacts) -> Reason:
    """HW-NON-X86: the device-isolation question asked in the host's own terms."""
    arch = non_x86_arch(f) or "non-x86"
    if arch in _ARM:
        message = (
            f"This is an {arch} host: device isolation comes from an SMMU described by the "
            "ACPI IORT table (or the device tree); the probe does not show an SMMU driver "
            "(arm-smmu / arm-smmu-v3) taking devices into IOMMU groups."
        )
        hint = {"check": "dmesg for 'arm-smmu' lines and /sys/kernel/iommu_groups"}
    else:
        message = (
            f"This is an {arch} host: its IOMMU is architecture-specific and this service "
            "does not judge it."
        )
        hint = {"check": "/sys/kernel/iommu_groups"}
    status = S.SUPPORTED if f.kernel.iommu_active else S.UNKNOWN
    if status == S.SUPPORTED:
        message = f"This is an {arch} host with an active IOMMU (IOMMU groups present)."
        hint = {}
    return reason(NON_X86, Layer.KERNEL, status, message, f.kernel.evidence, hint=hint)


def non_x86_slat(f: HostFacts) -> Reason:
    """HW-NON-X86: second-stage translation is part of the architecture's hypervisor mode."""
    arch = non_x86_arch(f) or "non-x86"
    detail = (
        "stage-2 translation is part of EL2 on every ARMv8 CPU; KVM needs the kernel entered at EL2"
        if arch in _ARM
        else "its second-level translation is architecture-specific"
    )
    return reason(
        NON_X86,
        Layer.CPU,
        S.UNKNOWN,
        f"This is an {arch} host: {detail}; the probe does not show KVM initialised.",
        hint={"check": "dmesg for 'kvm [1]: Hyp mode initialized successfully' or /dev/kvm"},
    )


HOST_DEVICES = _rule(
    "HW-KVM-HOST-DEVICES",
    "Device nodes and cgroup controllers a KVM host uses",
    Severity.WARNING,
    "virt-host-validate's QEMU checks: /dev/net/tun (tap networking; FAIL without it), "
    "/dev/vhost-net (in-kernel virtio-net; WARN), the cgroup controllers libvirt places guests "
    "in (cgroup v2: cpu, cpuset, memory, io, pids), and /dev/vfio/vfio for device assignment "
    "through VFIO.",
    "libvirt tools/virt-host-validate-qemu.c, virt-host-validate-common.c",
    "torvalds/linux Documentation/driver-api/vfio.rst",
)
_NEEDED_CONTROLLERS = ("cpu", "cpuset", "memory", "io", "pids")


def _absent(f: HostFacts, path: str) -> bool:
    return any(name == path and not present for name, present in f.kernel.devices)


def host_devices(f: HostFacts) -> list[Reason]:
    """HW-KVM-HOST-DEVICES (advisory): tun, vhost-net and cgroup controllers for KVM guests."""
    if not f.observed:
        return []
    out = []
    if _absent(f, "/dev/net/tun"):
        out.append(("/dev/net/tun is missing: guests get no tap networking.", "modprobe tun"))
    if _absent(f, "/dev/vhost-net"):
        out.append(
            ("/dev/vhost-net is missing: virtio-net runs in QEMU, not in the kernel.",
             "modprobe vhost_net")
        )  # fmt: skip
    controllers = f.kernel.cgroup_controllers
    if controllers is not None:
        missing = [c for c in _NEEDED_CONTROLLERS if c not in controllers]
        if missing:
            out.append(
                (f"cgroup v2 controllers missing: {', '.join(missing)} (libvirt cannot limit "
                 "guests by them).", "enable them in the kernel config or the cgroup mount")
            )  # fmt: skip
    return [
        info(reason(HOST_DEVICES, Layer.KERNEL, S.DISABLED, message, f.kernel.evidence,
                    hint={"command": fix}))
        for message, fix in out
    ]  # fmt: skip


def vfio_device(f: HostFacts) -> list[Reason]:
    """HW-KVM-HOST-DEVICES (advisory): /dev/vfio/vfio for VFIO device assignment."""
    if not f.observed or not _absent(f, "/dev/vfio/vfio"):
        return []
    return [
        info(
            reason(
                HOST_DEVICES,
                Layer.KERNEL,
                S.DISABLED,
                "/dev/vfio/vfio is missing: the VFIO driver is not loaded, so KVM cannot "
                "assign devices yet.",
                f.kernel.evidence,
                hint={"command": "modprobe vfio-pci"},
            )
        )
    ]
