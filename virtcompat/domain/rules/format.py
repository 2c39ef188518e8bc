"""libvirt document rules: well-formedness and the root element.

Unsafe documents (a DTD or entity declaration, limits, undecodable bytes) never get here:
they are refused as a whole (4xx) by ``virtcompat.domain.safexml``.
"""

from __future__ import annotations

from virtcompat.domain.rules._common import LIBVIRT_DOC, E, rule

XML_SYNTAX = rule(
    "DOM-FMT-001",
    "The domain XML must parse",
    E,
    "libvirt reads domain XML with libxml2 and refuses a document that is not well-formed "
    "('XML error: ...') or whose root is not <domain>; nothing else in it is then read.",
    LIBVIRT_DOC,
)
XML_TYPE = rule(
    "DOM-FMT-002",
    "Domain and OS type",
    E,
    "<domain type='...'> names the hypervisor driver (kvm, qemu, xen, ...), and "
    "<os><type> the guest kind (hvm; linux/xen for Xen PV; xenpvh). libvirt refuses a "
    "domain without them, or with one the driver does not know.",
    LIBVIRT_DOC,
)
