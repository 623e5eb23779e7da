"""Parameter types shared by the routes: ids are positive 64-bit integers (the databases' own
limit), pages are bounded."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**63 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive 64-bit id")]
AfterId = Annotated[int, Query(ge=0, le=MAX_ID, description="show rows after this id")]
