"""审计: who read whose personal data, from each service's access log (auditors and admins)."""
