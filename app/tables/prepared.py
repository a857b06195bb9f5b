"""SQLAlchemy Core statements compiled once for the database's driver, run on its own cursor.

For the few statements every move runs. SQLAlchemy still writes the SQL (from the models, for
SQLite or PostgreSQL alike) and converts the values (datetimes for SQLite); only its per-call
execution machinery is skipped, which costs about 80 µs a statement against about 20 µs for
the driver's own execute and commit (measured on the benchmark machine, issue #5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement


class Prepared:
    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = compiled.string
        # Positional drivers (sqlite3's "?") take a tuple in this order; named ones a mapping.
        order: Sequence[str] | None = compiled.positiontup
        self._pick: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None = None
        if order:
            picked = itemgetter(*order)  # in C; one name gives a value, not a tuple
            self._pick = picked if len(order) > 1 else lambda values: (picked(values),)
        self._convert: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            # dialect_impl: the type as this dialect stores it (SQLite keeps datetimes as text).
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if convert is not None:
                self._convert[name] = convert

    def args(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        if self._convert:
            values = dict(values)
            for name, convert in self._convert.items():
                values[name] = convert(values[name])
        if self._pick is None:
            return values
        return self._pick(values)


class Statements:
    """Each statement prepared once per dialect (an engine's), on first use."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._prepared: dict[int, Prepared] = {}

    def __getitem__(self, statement: ClauseElement) -> Prepared:
        prepared = self._prepared.get(id(statement))
        if prepared is None:
            prepared = self._prepared[id(statement)] = Prepared(statement, self._dialect)
        return prepared


class Cursor:
    """A DBAPI cursor that takes prepared statements and named values."""

    def __init__(self, statements: Statements, dbapi_connection: Any) -> None:
        self._statements = statements
        self._cursor = dbapi_connection.cursor()

    def execute(self, statement: ClauseElement, values: Mapping[str, Any]) -> int:
        """Run it; the number of rows it changed (for UPDATE and DELETE)."""
        prepared = self._statements[statement]
        self._cursor.execute(prepared.sql, prepared.args(values))
        return int(self._cursor.rowcount)

    def run(self, sql: str) -> None:
        """A statement without values (SAVEPOINT, PRAGMA)."""
        self._cursor.execute(sql)

    def execute_many(self, statement: ClauseElement, rows: Iterable[Mapping[str, Any]]) -> None:
        prepared = self._statements[statement]
        self._cursor.executemany(prepared.sql, [prepared.args(row) for row in rows])

    def first(self, statement: ClauseElement, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        prepared = self._statements[statement]
        self._cursor.execute(prepared.sql, prepared.args(values))
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def close(self) -> None:
        self._cursor.close()
