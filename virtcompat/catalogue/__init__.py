"""The catalogue's vocabulary and how rows get into it.

``types`` is the one set of row types (seed, snapshot and verdicts share them); the
reviewed seed is read by ``schemas`` (one entry), ``checks`` (across entries and files) and
``loader`` (idempotent upsert); the bulk sources by ``importers`` (one parser per format),
``store`` (one writer) and ``run`` (the import runner).

Pure domain code (SQLAlchemy, no Flask). ``import_paths`` backs
``flask --app app catalogue import``; ``import_shipped`` loads ``seed/sources/`` for
``flask seed`` and ``make run``.
"""

from virtcompat.catalogue.importers import KINDS
from virtcompat.catalogue.run import FileResult, import_bytes, import_paths, import_shipped

__all__ = ["KINDS", "FileResult", "import_bytes", "import_paths", "import_shipped"]
