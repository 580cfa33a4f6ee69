"""Which database errors the one retry policy treats as passing: a server going away or not
back yet (seen in the db-restart fault: "the database system is starting up" failed a
Celery prefork job at once), never an error in the statement itself."""

import pytest
from asyncpg import exceptions as pg
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError

from core.errors import is_transient


def wrapped(error: Exception) -> DBAPIError:
    """What SQLAlchemy's asyncpg dialect raises for `error`."""
    adapted = AsyncAdapt_asyncpg_dbapi.Error(f"{type(error).__name__}: {error}", error)  # type: ignore[no-untyped-call]
    raised = DBAPIError.instance("SELECT 1", {}, adapted, AsyncAdapt_asyncpg_dbapi.Error)
    assert isinstance(raised, DBAPIError)
    return raised


@pytest.mark.parametrize(
    "error",
    [
        pg.CannotConnectNowError("the database system is starting up"),
        pg.AdminShutdownError("terminating connection due to administrator command"),
        pg.CrashShutdownError("crash shutdown"),
        pg.ConnectionDoesNotExistError("connection does not exist"),
    ],
)
def test_a_server_going_away_is_transient(error: Exception) -> None:
    assert is_transient(wrapped(error))


@pytest.mark.parametrize(
    "error", [pg.UndefinedTableError("no such table"), pg.UniqueViolationError("duplicate")]
)
def test_an_error_in_the_statement_is_not(error: Exception) -> None:
    assert not is_transient(wrapped(error))
