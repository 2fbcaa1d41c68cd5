"""Package discovery; everything else is in pyproject.toml.

The migrations folder sits at the repository root (where Alembic looks) and ships inside the wheel
as ``agno_models.migrations``, so an installed package can migrate without the source tree.
"""

from setuptools import find_packages, setup

code = find_packages(include=["agno_models", "agno_models.*", "repositories", "repositories.*"])
migrations = ["agno_models.migrations", *(f"agno_models.migrations.{p}" for p in find_packages("migrations"))]
setup(packages=code + migrations)
