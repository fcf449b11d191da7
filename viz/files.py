"""Writing output files whole: the folder is created, and a file appears only once complete."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_file(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write `data` (str as UTF-8) to `path` and return it as a Path.

    Missing folders are created. The bytes go to a temporary file beside `path` that then
    replaces it (os.replace), so an interrupted or failed write never leaves a half-written
    `path`, and the temporary file is removed on failure. The file gets the usual permissions
    (umask), like one written with open().
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise NotADirectoryError(f"cannot write {path}: a part of {path.parent} is a file, not "
                                 "a folder") from None
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
