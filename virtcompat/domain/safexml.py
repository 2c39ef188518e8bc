"""Read untrusted XML into a small positioned tree, refusing anything dangerous.

Parsing goes through defusedxml's expat reader with DTDs forbidden: a ``<!DOCTYPE`` (and so
every entity declaration, internal or external, and every external DTD) stops the parse
before expat expands or fetches anything, which is what keeps billion-laughs and XXE inputs
from ever touching memory, the file system or the network. Entity references are forbidden
too, and expat's external general/parameter entity features stay off. On top of that:

* size, depth and element-count caps, checked while reading, so a 50,000-level nesting is
  refused at level ``MAX_DEPTH`` without building anything;
* the bytes must decode in the declared encoding (UTF-8 unless a BOM or the declaration
  says otherwise) before expat sees them, so undecodable input gets a precise refusal.

Everything refused raises :class:`UnsafeXml` (the API answers 4xx, the CLI exits 2). A
document that is merely not well-formed raises :class:`XmlSyntaxError` with its line and
column: that is a finding about the config, like an xl syntax error.
"""

from __future__ import annotations

import codecs
import io
import re
import xml.sax
import xml.sax.handler
from dataclasses import dataclass, field
from xml.sax.xmlreader import Locator

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

MAX_BYTES = 256 * 1024
MAX_DEPTH = 64
MAX_ELEMENTS = 20_000
MAX_ATTRIBUTES = 64

_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
# Encodings a libvirt document may use; anything else is refused rather than handed to a codec
# chosen by the client.
_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "iso-8859-1": "latin-1",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "utf-16": "utf-16",
    "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be",
}


class UnsafeXml(ValueError):
    """The document is refused without being read (``reason`` is a short slug)."""

    def __init__(self, reason: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


class XmlSyntaxError(ValueError):
    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(slots=True)
class Node:
    tag: str
    attrs: dict[str, str]
    line: int
    column: int
    key: str  # XPath-like, relative to the root: "devices/hostdev[2]"
    children: list[Node] = field(default_factory=list)
    text: str = ""
    _counts: dict[str, int] = field(default_factory=dict, repr=False)

    def find(self, tag: str) -> Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list[Node]:
        return [c for c in self.children if c.tag == tag]

    def path(self, *tags: str) -> Node | None:
        node: Node | None = self
        for tag in tags:
            node = node.find(tag) if node is not None else None
        return node


def detect_encoding(data: bytes) -> str:
    """The codec the document says it uses (BOM first, then the XML declaration)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    m = _DECL.match(data)
    if m is None:
        return "utf-8"
    name = m.group(1).decode("ascii").lower()
    codec = _ENCODINGS.get(name)
    if codec is None:
        raise UnsafeXml("encoding", f"the XML declares encoding {name!r}; use UTF-8")
    return codec


def _check_decodable(data: bytes) -> None:
    codec = detect_encoding(data)
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        raise UnsafeXml(
            "encoding",
            f"the document is not valid {codec.upper().replace('-SIG', '')}: "
            f"byte {exc.start} (0x{data[exc.start]:02x}) cannot be decoded",
        ) from None


class _Limit(Exception):
    pass


class _Builder(xml.sax.handler.ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.root: Node | None = None
        self.stack: list[Node] = []
        self.count = 0
        self.loc: Locator | None = None

    def setDocumentLocator(self, locator: Locator) -> None:  # noqa: N802 - SAX API
        self.loc = locator

    def startElement(self, name: str, attrs: object) -> None:  # noqa: N802 - SAX API
        self.count += 1
        if self.count > MAX_ELEMENTS:
            raise _Limit(f"more than {MAX_ELEMENTS} elements")
        if len(self.stack) >= MAX_DEPTH:
            raise _Limit(f"elements nested more than {MAX_DEPTH} deep")
        items = dict(attrs.items())  # type: ignore[attr-defined]
        if len(items) > MAX_ATTRIBUTES:
            raise _Limit(f"an element with more than {MAX_ATTRIBUTES} attributes")
        line = (self.loc.getLineNumber() if self.loc is not None else None) or 0
        column = ((self.loc.getColumnNumber() if self.loc is not None else None) or 0) + 1
        if self.stack:
            parent = self.stack[-1]
            n = parent._counts.get(name, 0) + 1
            parent._counts[name] = n
            prefix = "" if parent is self.root else parent.key + "/"
            key = f"{prefix}{name}[{n}]" if n > 1 or name in _INDEXED else prefix + name
        else:
            key = name
        node = Node(name, items, line or 0, column, key)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def endElement(self, name: str) -> None:  # noqa: N802 - SAX API
        node = self.stack.pop()
        node.text = node.text.strip()

    def characters(self, content: str) -> None:
        if self.stack and len(self.stack[-1].text) < 4096:
            self.stack[-1].text += content


# Repeatable devices are always indexed so a key names one element: devices/hostdev[1].
_INDEXED = frozenset(
    {"hostdev", "disk", "interface", "input", "graphics", "serial", "console", "controller"}
)


def parse_xml(data: bytes | str) -> Node:
    """The root element; raises UnsafeXml (refused) or XmlSyntaxError (not well-formed)."""
    try:
        raw = data.encode("utf-8") if isinstance(data, str) else data
    except UnicodeEncodeError:
        raise UnsafeXml("encoding", "the document has a lone surrogate code point") from None
    if len(raw) > MAX_BYTES:
        raise UnsafeXml("size", f"the document is {len(raw)} bytes; the limit is {MAX_BYTES}", 413)
    if isinstance(data, bytes):
        _check_decodable(raw)
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    # Belt and braces: never resolve external entities even if a future default changes.
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    parser.setFeature(xml.sax.handler.feature_external_pes, False)
    builder = _Builder()
    parser.setContentHandler(builder)
    try:
        parser.parse(io.BytesIO(raw))
    except DefusedXmlException as exc:
        raise UnsafeXml(
            "dtd",
            "the document has a DTD or entity declaration, which is never processed "
            f"({type(exc).__name__})",
        ) from None
    except _Limit as exc:
        raise UnsafeXml("limit", f"the document has {exc}") from None
    except xml.sax.SAXParseException as exc:
        raise XmlSyntaxError(
            f"not well-formed XML: {exc.getMessage()}",
            exc.getLineNumber(),
            int(exc.getColumnNumber() or 0) + 1,
        ) from None
    if builder.root is None:
        raise XmlSyntaxError("no root element", 1, 1)
    return builder.root
