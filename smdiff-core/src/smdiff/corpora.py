"""Where the corpora smdiff knows by name are found."""

from __future__ import annotations

#: environment variable naming the POP909 folder
POP909_ENV = "SMDIFF_POP909"
#: POP909 beside a checkout (``../shared/data/POP909``) when the variable is unset
POP909_DEFAULT_DIR = "../shared/data/POP909"
#: a :class:`~smdiff.DatasetSpec` ``root_dir``: the variable when set, else the default folder
POP909_ROOT = f"${POP909_ENV}|{POP909_DEFAULT_DIR}"
