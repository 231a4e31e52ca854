"""quotekb: Japanese interview articles as a citable, queryable knowledge base."""

__version__ = "0.1.0"
