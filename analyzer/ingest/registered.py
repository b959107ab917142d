"""Arrow data that DuckDB reads by name inside a file's transaction, released after use.

DuckDB keeps a registered Python object until the transaction that unregistered it
ends (the catalog entry must survive a rollback). Registering a chunk's table itself
would keep every chunk of a file, and every staged copy, in memory until the file
commits: memory growing with the file (3 GB of junk lines took 4 GB). So a table is
registered through a small holder that DuckDB reads with the Arrow stream interface
and that is emptied once the statements that read it are done.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa


class _Holder:
    """A table DuckDB reads (as often as it likes) until it is released."""

    def __init__(self, table: pa.Table):
        self.table: pa.Table | None = table

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        if self.table is None:
            raise RuntimeError("read after its release")
        return self.table.__arrow_c_stream__(requested_schema)


class Registration:
    """What ``registered`` put under a name; ``replace`` puts other data there."""

    def __init__(self, con: duckdb.DuckDBPyConnection, name: str):
        self._con = con
        self._name = name
        self._holder: _Holder | None = None

    def replace(self, data: pa.Table | pa.RecordBatchReader) -> None:
        self.release()
        if isinstance(data, pa.Table):
            self._holder = _Holder(data)
            self._con.register(self._name, self._holder)
        else:  # a stream is read once, and holds nothing once read
            self._con.register(self._name, data)

    def release(self) -> None:
        if self._holder is not None:
            self._holder.table = None
            self._holder = None

    def close(self) -> None:
        """Release the data and the name."""
        self.release()
        # after an interrupted statement DuckDB has aborted the transaction: the
        # error under way is the one to report, not this clean-up's
        with contextlib.suppress(duckdb.TransactionException):
            self._con.unregister(self._name)


@contextlib.contextmanager
def registered(
    con: duckdb.DuckDBPyConnection, name: str, data: pa.Table | pa.RecordBatchReader
) -> Iterator[Registration]:
    """``data`` readable as ``name`` for the block; nothing of it kept after."""
    reg = Registration(con, name)
    reg.replace(data)
    try:
        yield reg
    finally:
        reg.close()
