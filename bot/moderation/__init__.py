"""Moderation: roles, the audit log, safe publishing of answer texts, history, rollback, broadcasts."""
