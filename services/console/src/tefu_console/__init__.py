"""Tefu console (工作台): server-rendered Chinese pages for clerks, approvers, auditors and admins."""
