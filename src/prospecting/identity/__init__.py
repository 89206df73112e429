"""Persons (providers), Orgs, memberships, roles and API tokens."""
