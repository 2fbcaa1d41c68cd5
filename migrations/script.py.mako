"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from collections.abc import Sequence

import sqlalchemy as sa
${imports if imports else ""}
from agno_models import types as t
from agno_models.migrate import names_in_context
from agno_models.migrate import owned_op as op

revision: str = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade() -> None:
    n = names_in_context()
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    n = names_in_context()
    ${downgrades if downgrades else "pass"}
