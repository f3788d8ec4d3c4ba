"""Helpers only the tests use: the mapping editor's forms, the page tests' browser checks."""
