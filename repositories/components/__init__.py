"""Components (saved agents, teams, workflows), their versioned configs and the links between them.

One row per component, one row per config version (``stage`` draft, published or agno's
``_deleted`` tombstone, whose number is never reused), one row per edge from a parent version to
a child component. The contract is agno 3.1's PostgresDb; on top of it:
- every write is one operation (one transaction) that first locks the component row, so version
  numbers are allocated race-free (two appends never collide, none is lost) and every guard
  (archived, owner, compare-and-set, dependents, last visible version) is decided on the locked
  row instead of check-then-write;
- a link's children are locked while it is validated, so an archive of a child and a link to it
  serialize: neither a live parent pinning an archived child nor a missed dependent can result;
- reference cycles are found with one recursive query, dependents and the latest configs with one
  query each, and ``load_component_graph`` reads a graph with a few queries per level;
- deleting a component disables the schedules aimed at it in the same transaction, as agno does;
- a link to a component with no catalog row is refused with a ValueError (the foreign key would
  refuse it anyway, with a less useful message), and so is a value too long for its column;
- ``load_component_graph`` honours ``label`` (agno's own ignores it and loads the live version);
- database errors propagate; nothing is turned into ``None``.
"""

from repositories.components.components import ComponentRepository
from repositories.components.configs import ComponentConfigRepository
from repositories.components.links import ComponentLinkRepository

__all__ = ["ComponentConfigRepository", "ComponentLinkRepository", "ComponentRepository"]
