"""The catalogue's bulk sources: one parser per format, one writer, one import runner.

Pure domain code (SQLAlchemy, no Flask). ``import_paths`` backs
``flask --app app catalogue import``; ``import_shipped`` loads ``seed/sources/`` for
``flask seed`` and ``make run``.
"""

from virtcompat.catalogue.importers import KINDS
from virtcompat.catalogue.run import FileResult, import_bytes, import_paths, import_shipped

__all__ = ["KINDS", "FileResult", "import_bytes", "import_paths", "import_shipped"]
