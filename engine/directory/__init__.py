"""The directory: organisations, people and their memberships, and its file import."""

from engine.directory.importer import (
    DirectoryError,
    ImportReport,
    import_directory,
    load_directory_file,
)

__all__ = ["DirectoryError", "ImportReport", "import_directory", "load_directory_file"]
