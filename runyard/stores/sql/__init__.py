"""SQL tracking store (SQLite, PostgreSQL, MySQL/MariaDB): the only package that imports SQLAlchemy."""
