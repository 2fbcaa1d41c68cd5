"""agno's Company storage: products, their sources, projects and tasks (``agno.company``).

- ``hierarchy``: rows by id, the product lock every child write takes, archive and restore
  cascades, listings and counts;
- ``products``: products and sources;
- ``work``: projects and tasks, their lifecycles, execution attempts and automatic acceptance.
"""

from repositories.company.products import ProductRepository, SourceRepository
from repositories.company.work import ProjectRepository, TaskRepository

__all__ = ["ProductRepository", "ProjectRepository", "SourceRepository", "TaskRepository"]
