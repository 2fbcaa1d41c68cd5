"""What every repository shares: statements run as operations, dialect helpers, the schema lock."""
