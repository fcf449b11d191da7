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
    except OSError as error:
        raise type(error)(error.errno, f"cannot write {path}: cannot create the folder "
                          f"{path.parent}: {error.strerror or error}") from None
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a folder; choose a file name")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as error:
        # name the file asked for, not the temporary one beside it
        reason = error.strerror or str(error)
        raise type(error)(error.errno, f"cannot write {path}: {reason}") from None
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
    return path
